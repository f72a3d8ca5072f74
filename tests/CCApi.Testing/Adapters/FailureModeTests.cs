using CCApi.Contracts;
using CCApi.Emulators;

namespace CCApi.Testing.Adapters;

/// <summary>
/// Every upstream adapter, every emulator failure mode through the bus: retried only where a retry helps (the host's
/// MaxRetries is 2), then mapped to the CCAPI error the job fails with.
/// </summary>
public abstract class FailureModeTests<THost>(THost host)
    where THost : AdapterHost, IEmulatedAdapterHost
{
    protected THost Host => host;

    /// <summary>Calls the provider counted against the retry budget (every request the emulator saw, by default).</summary>
    protected virtual int UpstreamCalls => host.Emulator.Requests.Count;

    /// <summary>What the provider's documented 500 body says (the CCAPI error carries it).</summary>
    protected abstract string ServerErrorMessage { get; }

    /// <summary>The provider's own words in a 429 the adapter gave up on, where it has any.</summary>
    protected virtual void ShouldSayRateLimited(ErrorInfo error)
    {
    }

    /// <summary>What else the error of a malformed answer says, where the adapter knows more.</summary>
    protected virtual void ShouldSayMalformed(ErrorInfo error)
    {
    }

    /// <summary>What else a job that recovered from failed attempts must show (e.g. that no extra provider job exists).</summary>
    protected virtual void ShouldHaveRecovered(IJobResult result)
    {
    }

    /// <summary>Runs <see cref="AdapterHost.Job"/> with only this failure queued on the emulator (see <see cref="Emulator.Fail"/>).</summary>
    protected Task<JobOutcome> RunJobFailingAsync(FailureMode mode, int times = int.MaxValue, TimeSpan? delay = null, int retryAfterSeconds = 1)
    {
        host.Emulator.Reset();
        host.Emulator.Fail(mode, times, delay, retryAfterSeconds);
        return host.RunJobAsync(host.Job());
    }

    [Fact]
    public async Task Retries_a_429_after_its_Retry_After_and_succeeds()
    {
        var result = (await RunJobFailingAsync(FailureMode.RateLimited, times: 1, retryAfterSeconds: 1)).ShouldHaveSucceeded();

        UpstreamCalls.ShouldBe(2);
        host.Emulator.Requests.First().Failure.ShouldBe(FailureMode.RateLimited);
        host.Emulator.Requests.Last().Failure.ShouldBeNull();
        ShouldHaveRecovered(result);
    }

    [Fact]
    public async Task Answers_429_rate_limit_exceeded_with_retry_after_when_the_provider_keeps_rate_limiting()
    {
        var error = (await RunJobFailingAsync(FailureMode.RateLimited, retryAfterSeconds: 0)).ShouldHaveFailed();

        error.Status.ShouldBe(429);
        error.Type.ShouldBe("rate_limit_error");
        error.Code.ShouldBe("rate_limit_exceeded");
        error.Details.ShouldNotBeNull()["retry_after"].ShouldBe("1");
        ShouldSayRateLimited(error);
        UpstreamCalls.ShouldBe(3); // first attempt + MaxRetries (2)
    }

    [Fact]
    public async Task Answers_429_at_once_when_Retry_After_is_longer_than_the_adapter_waits()
    {
        var error = (await RunJobFailingAsync(FailureMode.RateLimited, retryAfterSeconds: 600)).ShouldHaveFailed();

        error.Status.ShouldBe(429);
        error.Details!["retry_after"].ShouldBe("600");
        UpstreamCalls.ShouldBe(1);
    }

    [Fact]
    public async Task Answers_502_provider_error_after_bounded_retries_of_a_500()
    {
        var error = (await RunJobFailingAsync(FailureMode.ServerError)).ShouldHaveFailed();

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_error");
        error.Message.ShouldContain(ServerErrorMessage);
        UpstreamCalls.ShouldBe(3);
    }

    [Fact]
    public async Task Recovers_when_a_500_is_followed_by_success()
    {
        var result = (await RunJobFailingAsync(FailureMode.ServerError, times: 2)).ShouldHaveSucceeded();

        UpstreamCalls.ShouldBe(3);
        ShouldHaveRecovered(result);
    }

    [Fact]
    public async Task Answers_504_provider_timeout_when_every_attempt_is_too_slow()
    {
        var error = (await RunJobFailingAsync(FailureMode.Slow, delay: TimeSpan.FromSeconds(10))).ShouldHaveFailed();

        error.Status.ShouldBe(504);
        error.Code.ShouldBe("provider_timeout");
        UpstreamCalls.ShouldBe(3);
    }

    [Fact]
    public async Task Answers_502_when_the_answer_is_malformed_without_retrying()
    {
        var error = (await RunJobFailingAsync(FailureMode.Malformed, times: 1)).ShouldHaveFailed();

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_error");
        error.Message.ShouldContain("malformed");
        ShouldSayMalformed(error);
        UpstreamCalls.ShouldBe(1);
    }

    [Fact]
    public async Task Answers_502_when_the_connection_drops_on_every_attempt()
    {
        var error = (await RunJobFailingAsync(FailureMode.DropMidStream)).ShouldHaveFailed();

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_error");
        UpstreamCalls.ShouldBe(3);
    }

    [Fact]
    public async Task Recovers_when_one_dropped_connection_is_followed_by_success()
    {
        var result = (await RunJobFailingAsync(FailureMode.DropMidStream, times: 1)).ShouldHaveSucceeded();

        UpstreamCalls.ShouldBe(2);
        ShouldHaveRecovered(result);
    }
}

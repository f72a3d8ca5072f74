using CCApi.Adapters.ImaginePro.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Emulators.ImaginePro;
using MassTransit;

namespace CCApi.Adapters.ImaginePro.Tests.Integration;

/// <summary>
/// Every emulator failure mode on the submission, through the bus: retried only where a retry helps, then the job fails
/// with the mapped CCAPI error (published as JobFailed, as JobStatus sees it).
/// </summary>
public sealed class FailureModeTests(ImagineProAdapterHost host) : IClassFixture<ImagineProAdapterHost>
{
    [Fact]
    public async Task Retries_a_429_after_its_Retry_After_and_completes()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.RateLimited, times: 1, retryAfterSeconds: 1);

        var (generated, failed) = await host.RunAsync(host.Image());

        failed.ShouldBeNull();
        generated.ShouldNotBeNull();
        host.Emulator.Submits.ShouldBe(2);
        host.Emulator.Requests.First().Failure.ShouldBe(FailureMode.RateLimited);
        host.Emulator.MessageIds.ShouldHaveSingleItem(); // the refused attempt created no provider job
    }

    [Fact]
    public async Task Fails_with_429_rate_limit_exceeded_and_retry_after_when_the_provider_keeps_rate_limiting()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.RateLimited, retryAfterSeconds: 0);

        var error = await host.FailedAsync(host.Image());

        error.Status.ShouldBe(429);
        error.Type.ShouldBe("rate_limit_error");
        error.Code.ShouldBe("rate_limit_exceeded");
        error.Details.ShouldNotBeNull()["retry_after"].ShouldBe("1");
        error.Message.ShouldContain("Too Many Requests");
        host.Emulator.Submits.ShouldBe(3); // first attempt + MaxRetries (2)
    }

    [Fact]
    public async Task Fails_with_429_at_once_when_Retry_After_is_longer_than_the_adapter_waits()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.RateLimited, retryAfterSeconds: 600);

        var error = await host.FailedAsync(host.Image());

        error.Status.ShouldBe(429);
        error.Details!["retry_after"].ShouldBe("600");
        host.Emulator.Submits.ShouldBe(1);
    }

    [Fact]
    public async Task Fails_with_502_provider_error_after_bounded_retries_of_a_500()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.ServerError);

        var error = await host.FailedAsync(host.Image());

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_error");
        error.Message.ShouldContain("Internal server error");
        host.Emulator.Submits.ShouldBe(3);
    }

    [Fact]
    public async Task Recovers_when_a_500_is_followed_by_success()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.ServerError, times: 2);

        var (generated, _) = await host.RunAsync(host.Image());

        generated.ShouldNotBeNull();
        host.Emulator.Submits.ShouldBe(3);
    }

    [Fact]
    public async Task Fails_with_504_provider_timeout_when_every_submit_attempt_is_too_slow()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.Slow, delay: TimeSpan.FromSeconds(10));

        var error = await host.FailedAsync(host.Image());

        error.Status.ShouldBe(504);
        error.Code.ShouldBe("provider_timeout");
        host.Emulator.Submits.ShouldBe(3);
    }

    [Fact]
    public async Task Fails_with_502_when_the_submit_answer_is_malformed_without_retrying()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.Malformed, times: 1);

        var error = await host.FailedAsync(host.Image());

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_error");
        error.Message.ShouldContain("malformed");
        host.Emulator.Submits.ShouldBe(1);
    }

    [Fact]
    public async Task Fails_with_502_when_the_connection_drops_on_every_attempt()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.DropMidStream);

        var error = await host.FailedAsync(host.Image());

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_error");
        host.Emulator.Submits.ShouldBe(3);
    }

    [Fact]
    public async Task Fails_with_400_and_the_providers_message_when_it_rejects_the_request_without_retrying()
    {
        host.Emulator.Reset();

        var error = await host.FailedAsync(host.Image(model: "no-such-model"));

        error.Status.ShouldBe(400);
        error.Type.ShouldBe("invalid_request_error");
        error.Message.ShouldContain("model must be one of the following values");
        error.Details!["upstream_status"].ShouldBe("400");
        host.Emulator.Submits.ShouldBe(1);
    }

    [Fact]
    public async Task Answers_504_at_once_when_the_deadline_has_passed()
    {
        host.Emulator.Reset();

        var response = await host.AskAsync(host.Image(async: false) with { Deadline = DateTimeOffset.UtcNow.AddSeconds(-1) });

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Status.ShouldBe(504);
        host.Emulator.Requests.ShouldBeEmpty();
    }
}

/// <summary>The platform's key is wrong: the client must learn that the PLATFORM's credentials were refused, not theirs.</summary>
public sealed class RefusedCredentialsTests : IAsyncLifetime
{
    private readonly WrongKeyHost _host = new();

    [Fact]
    public async Task Fails_with_502_provider_auth_failed_saying_the_platforms_credentials_were_refused()
    {
        var error = await _host.FailedAsync(_host.Image());

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_auth_failed");
        error.Message.ShouldContain("platform's credentials");
        error.Message.ShouldContain("Your CCAPI API key is fine");
        error.Message.ShouldNotContain("wrong-key");
        _host.Emulator.Submits.ShouldBe(1);
        _host.Emulator.Requests.Single().Authorization.ShouldBe("Bearer imaginepro-wrong-key-0000");
    }

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private sealed class WrongKeyHost : ImagineProAdapterHost
    {
        protected override void Configure(Dictionary<string, string?> settings) => settings["ImaginePro:ApiKey"] = "imaginepro-wrong-key-0000";
    }
}

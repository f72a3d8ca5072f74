using CCApi.Adapters.StabilityAI.Tests.Support;
using CCApi.Emulators;

namespace CCApi.Adapters.StabilityAI.Tests.Integration;

/// <summary>Every emulator failure mode through the bus: retried only where a retry helps, then mapped to the CCAPI error.</summary>
public sealed class FailureModeTests(StabilityAIAdapterHost host) : IClassFixture<StabilityAIAdapterHost>
{
    private const string Path = "/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image";

    [Fact]
    public async Task Retries_a_429_after_its_Retry_After_and_succeeds()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.RateLimited, times: 1, retryAfterSeconds: 1);

        var generated = await host.GeneratedAsync(host.TextToImage());

        generated.Images.ShouldHaveSingleItem();
        var requests = host.Emulator.Requests.ToList();
        requests.Count.ShouldBe(2);
        requests[0].Failure.ShouldBe(FailureMode.RateLimited);
    }

    [Fact]
    public async Task Answers_429_rate_limit_exceeded_with_retry_after_when_the_provider_keeps_rate_limiting()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.RateLimited, retryAfterSeconds: 0);

        var error = await host.FailedAsync(host.TextToImage());

        error.Status.ShouldBe(429);
        error.Type.ShouldBe("rate_limit_error");
        error.Code.ShouldBe("rate_limit_exceeded");
        error.Message.ShouldContain("You have exceeded the rate limit");
        error.Details!["retry_after"].ShouldBe("1");
        host.Emulator.Count(Path).ShouldBe(3); // first attempt + MaxRetries (2)
    }

    [Fact]
    public async Task Answers_429_at_once_when_Retry_After_is_longer_than_the_adapter_waits()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.RateLimited, retryAfterSeconds: 600);

        var error = await host.FailedAsync(host.TextToImage());

        error.Status.ShouldBe(429);
        error.Details!["retry_after"].ShouldBe("600");
        host.Emulator.Count(Path).ShouldBe(1);
    }

    [Fact]
    public async Task Answers_502_provider_error_after_bounded_retries_of_a_500()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.ServerError);

        var error = await host.FailedAsync(host.TextToImage());

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_error");
        error.Message.ShouldContain("An unexpected server error occurred");
        host.Emulator.Count(Path).ShouldBe(3);
    }

    [Fact]
    public async Task Recovers_when_a_500_is_followed_by_success()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.ServerError, times: 2);

        var generated = await host.GeneratedAsync(host.TextToImage());

        generated.Images.ShouldHaveSingleItem();
        host.Emulator.Count(Path).ShouldBe(3);
    }

    [Fact]
    public async Task Answers_504_provider_timeout_when_every_attempt_is_too_slow()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.Slow, delay: TimeSpan.FromSeconds(10));

        var error = await host.FailedAsync(host.TextToImage());

        error.Status.ShouldBe(504);
        error.Code.ShouldBe("provider_timeout");
        host.Emulator.Count(Path).ShouldBe(3);
    }

    [Fact]
    public async Task Answers_502_when_the_body_is_malformed_without_retrying()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.Malformed, times: 1);

        var error = await host.FailedAsync(host.TextToImage());

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_error");
        error.Message.ShouldContain("malformed");
        host.Emulator.Count(Path).ShouldBe(1);
    }

    [Fact]
    public async Task Answers_502_when_the_connection_drops_mid_body_on_every_attempt()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.DropMidStream);

        var error = await host.FailedAsync(host.TextToImage());

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_error");
        host.Emulator.Count(Path).ShouldBe(3);
    }

    [Fact]
    public async Task Recovers_when_one_dropped_connection_is_followed_by_success()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.DropMidStream, times: 1);

        var generated = await host.GeneratedAsync(host.TextToImage());

        generated.Images.ShouldHaveSingleItem();
        host.Emulator.Count(Path).ShouldBe(2);
    }

    [Fact]
    public async Task Answers_504_at_once_when_the_deadline_has_passed()
    {
        host.Emulator.Reset();

        var error = await host.FailedAsync(host.TextToImage() with { Deadline = DateTimeOffset.UtcNow.AddSeconds(-1) });

        error.Status.ShouldBe(504);
        host.Emulator.Requests.ShouldBeEmpty();
    }
}

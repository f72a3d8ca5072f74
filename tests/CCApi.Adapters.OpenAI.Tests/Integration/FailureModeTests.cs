using CCApi.Adapters.OpenAI.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Emulators.OpenAI;
using MassTransit;

namespace CCApi.Adapters.OpenAI.Tests.Integration;

/// <summary>Every emulator failure mode through the bus: retried only where a retry helps, then mapped to the CCAPI error.</summary>
public sealed class FailureModeTests(OpenAIAdapterHost host) : IClassFixture<OpenAIAdapterHost>
{
    private async Task<ErrorInfo> FailedAsync(ChatCompletion command)
    {
        var response = await host.AskAsync<ChatCompletion, ChatCompleted>(command, JobKind.Chat);
        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.JobId.ShouldBe(command.JobId);
        return failed.Message.Error;
    }

    [Fact]
    public async Task Retries_a_429_after_its_Retry_After_and_succeeds()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.RateLimited, times: 1, retryAfterSeconds: 1);

        var response = await host.AskAsync<ChatCompletion, ChatCompleted>(host.Chat("hi"), JobKind.Chat);

        response.Is(out Response<ChatCompleted>? _).ShouldBeTrue();
        var requests = host.Emulator.Requests.ToList();
        requests.Count.ShouldBe(2);
        requests[0].Failure.ShouldBe(FailureMode.RateLimited);
    }

    [Fact]
    public async Task Answers_429_rate_limit_exceeded_with_retry_after_when_the_provider_keeps_rate_limiting()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.RateLimited, retryAfterSeconds: 0);

        var error = await FailedAsync(host.Chat("hi"));

        error.Status.ShouldBe(429);
        error.Type.ShouldBe("rate_limit_error");
        error.Code.ShouldBe("rate_limit_exceeded");
        error.Details.ShouldNotBeNull()["retry_after"].ShouldBe("1");
        host.Emulator.Count("/v1/chat/completions").ShouldBe(3); // first attempt + MaxRetries (2)
    }

    [Fact]
    public async Task Answers_429_at_once_when_Retry_After_is_longer_than_the_adapter_waits()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.RateLimited, retryAfterSeconds: 600);

        var error = await FailedAsync(host.Chat("hi"));

        error.Status.ShouldBe(429);
        error.Details!["retry_after"].ShouldBe("600");
        host.Emulator.Count("/v1/chat/completions").ShouldBe(1);
    }

    [Fact]
    public async Task Answers_502_provider_error_after_bounded_retries_of_a_500()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.ServerError);

        var error = await FailedAsync(host.Chat("hi"));

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_error");
        error.Message.ShouldContain("The server had an error");
        host.Emulator.Count("/v1/chat/completions").ShouldBe(3);
    }

    [Fact]
    public async Task Recovers_when_a_500_is_followed_by_success()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.ServerError, times: 2);

        var response = await host.AskAsync<ChatCompletion, ChatCompleted>(host.Chat("hi"), JobKind.Chat);

        response.Is(out Response<ChatCompleted>? _).ShouldBeTrue();
        host.Emulator.Count("/v1/chat/completions").ShouldBe(3);
    }

    [Fact]
    public async Task Answers_504_provider_timeout_when_every_attempt_is_too_slow()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.Slow, delay: TimeSpan.FromSeconds(10));

        var error = await FailedAsync(host.Chat("hi"));

        error.Status.ShouldBe(504);
        error.Code.ShouldBe("provider_timeout");
        host.Emulator.Count("/v1/chat/completions").ShouldBe(3);
    }

    [Fact]
    public async Task Answers_502_when_the_body_is_malformed_without_retrying()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.Malformed, times: 1);

        var error = await FailedAsync(host.Chat("hi"));

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_error");
        error.Message.ShouldContain("malformed");
        host.Emulator.Count("/v1/chat/completions").ShouldBe(1);
    }

    [Fact]
    public async Task Answers_502_when_the_connection_drops_on_every_attempt()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.DropMidStream);

        var error = await FailedAsync(host.Chat("hi"));

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_error");
        host.Emulator.Count("/v1/chat/completions").ShouldBe(3);
    }

    [Fact]
    public async Task Answers_400_with_the_providers_message_and_param_without_retrying()
    {
        host.Emulator.Reset();

        var error = await FailedAsync(host.Chat("hi") with { Temperature = 5 });

        error.Status.ShouldBe(400);
        error.Type.ShouldBe("invalid_request_error");
        error.Message.ShouldContain("Invalid 'temperature': must be between 0 and 2.");
        error.Details!["param"].ShouldBe("temperature");
        host.Emulator.Count("/v1/chat/completions").ShouldBe(1);
    }

    [Fact]
    public async Task Answers_400_naming_the_unknown_model_the_provider_does_not_have()
    {
        host.Emulator.Reset();
        var command = host.Chat("hi") with { Route = host.Route("no-such-model") };

        var error = await FailedAsync(command);

        error.Status.ShouldBe(400);
        error.Message.ShouldContain("no-such-model");
        error.Details!["provider_code"].ShouldBe("model_not_found");
    }

    [Fact]
    public async Task Answers_504_at_once_when_the_deadline_has_passed()
    {
        host.Emulator.Reset();

        var error = await FailedAsync(host.Chat("hi") with { Deadline = DateTimeOffset.UtcNow.AddSeconds(-1) });

        error.Status.ShouldBe(504);
        host.Emulator.Requests.ShouldBeEmpty();
    }
}

/// <summary>The platform's key is wrong: the client must learn that the PLATFORM's credentials were refused, not theirs.</summary>
public sealed class RefusedCredentialsTests : IAsyncLifetime
{
    private readonly WrongKeyHost _host = new();

    [Fact]
    public async Task Answers_502_provider_auth_failed_saying_the_platforms_credentials_were_refused()
    {
        var response = await _host.AskAsync<ChatCompletion, ChatCompleted>(_host.Chat("hi"), JobKind.Chat);

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        var error = failed!.Message.Error;
        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_auth_failed");
        error.Message.ShouldContain("platform's credentials");
        error.Message.ShouldContain("Your CCAPI API key is fine");
        error.Message.ShouldNotContain("sk-wrong");
        _host.Emulator.Count("/v1/chat/completions").ShouldBe(1);
    }

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private sealed class WrongKeyHost : OpenAIAdapterHost
    {
        protected override void Configure(Dictionary<string, string?> settings) => settings["OpenAI:ApiKey"] = "sk-wrong-key-0000";
    }
}

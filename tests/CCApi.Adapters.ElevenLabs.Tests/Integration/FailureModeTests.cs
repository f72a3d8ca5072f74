using CCApi.Adapters.ElevenLabs.Tests.Support;
using CCApi.Emulators;

namespace CCApi.Adapters.ElevenLabs.Tests.Integration;

/// <summary>Every emulator failure mode through the bus: retried only where a retry helps, then mapped to the CCAPI error.</summary>
public sealed class FailureModeTests(ElevenLabsAdapterHost host) : IClassFixture<ElevenLabsAdapterHost>
{
    private const string SarahId = "EXAVITQu4vr4xnSDxMaL";
    private const string SpeechPath = "/v1/text-to-speech/" + SarahId;

    [Fact]
    public async Task Retries_a_429_after_its_Retry_After_and_succeeds()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.RateLimited, times: 1, retryAfterSeconds: 1);

        await host.SynthesizedAsync(host.Speech(voice: SarahId));

        var requests = host.Emulator.Requests.ToList();
        requests.Count.ShouldBe(2);
        requests[0].Failure.ShouldBe(FailureMode.RateLimited);
        requests[1].Failure.ShouldBeNull();
    }

    [Fact]
    public async Task Answers_429_rate_limit_exceeded_with_retry_after_when_ElevenLabs_keeps_rate_limiting()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.RateLimited, retryAfterSeconds: 0);

        var error = await host.FailedAsync(host.Speech(voice: SarahId));

        error.Status.ShouldBe(429);
        error.Type.ShouldBe("rate_limit_error");
        error.Code.ShouldBe("rate_limit_exceeded");
        error.Message.ShouldContain("Too many concurrent requests");
        error.Details!["retry_after"].ShouldBe("1");
        error.Details["provider_code"].ShouldBe("concurrent_limit_exceeded");
        host.Emulator.Count(SpeechPath).ShouldBe(3); // first attempt + MaxRetries (2)
    }

    [Fact]
    public async Task Answers_429_at_once_when_Retry_After_is_longer_than_the_adapter_waits()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.RateLimited, retryAfterSeconds: 600);

        var error = await host.FailedAsync(host.Speech(voice: SarahId));

        error.Status.ShouldBe(429);
        error.Details!["retry_after"].ShouldBe("600");
        host.Emulator.Count(SpeechPath).ShouldBe(1);
    }

    [Fact]
    public async Task Answers_502_provider_error_after_bounded_retries_of_a_500()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.ServerError);

        var error = await host.FailedAsync(host.Speech(voice: SarahId));

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_error");
        error.Message.ShouldContain("An internal server error occurred");
        host.Emulator.Count(SpeechPath).ShouldBe(3);
    }

    [Fact]
    public async Task Recovers_when_a_500_is_followed_by_success()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.ServerError, times: 2);

        await host.SynthesizedAsync(host.Speech(voice: SarahId));

        host.Emulator.Count(SpeechPath).ShouldBe(3);
    }

    [Fact]
    public async Task Answers_504_provider_timeout_when_every_attempt_is_too_slow()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.Slow, delay: TimeSpan.FromSeconds(10));

        var error = await host.FailedAsync(host.Speech(voice: SarahId));

        error.Status.ShouldBe(504);
        error.Code.ShouldBe("provider_timeout");
        host.Emulator.Count(SpeechPath).ShouldBe(3);
    }

    [Fact]
    public async Task Answers_502_when_the_audio_is_malformed_without_retrying()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.Malformed, times: 1);

        var error = await host.FailedAsync(host.Speech(voice: SarahId));

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_error");
        error.Message.ShouldContain("malformed");
        error.Message.ShouldContain("mp3_44100_128");
        host.Emulator.Count(SpeechPath).ShouldBe(1);
    }

    [Fact]
    public async Task Answers_502_when_the_connection_drops_mid_audio_on_every_attempt()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.DropMidStream);

        var error = await host.FailedAsync(host.Speech(voice: SarahId));

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_error");
        host.Emulator.Count(SpeechPath).ShouldBe(3);
    }

    [Fact]
    public async Task Answers_502_when_the_voice_list_needed_for_a_name_keeps_failing()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.ServerError);

        var error = await host.FailedAsync(host.Speech(voice: "Voice " + Guid.NewGuid().ToString("N")[..6]));

        error.Status.ShouldBe(502);
        host.Emulator.Count("/v1/voices").ShouldBe(3);
        host.Emulator.SpeechCalls.ShouldBeEmpty();
    }

    [Fact]
    public async Task Answers_502_when_the_voice_list_is_malformed()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.Malformed, times: 1);

        var error = await host.FailedAsync(host.Speech(voice: "Voice " + Guid.NewGuid().ToString("N")[..6]));

        error.Status.ShouldBe(502);
        error.Message.ShouldContain("voice list");
        host.Emulator.SpeechCalls.ShouldBeEmpty();
    }

    [Fact]
    public async Task Answers_503_saying_the_platforms_quota_is_used_up_when_ElevenLabs_answers_quota_exceeded()
    {
        host.Emulator.Reset();
        host.Emulator.QuotaExceeded = true;

        var error = await host.FailedAsync(host.Speech(voice: SarahId));

        error.Status.ShouldBe(503);
        error.Code.ShouldBe("provider_unavailable");
        error.Message.ShouldContain("quota is used up");
        error.Message.ShouldContain("Your CCAPI API key is fine");
        error.Details!["provider_code"].ShouldBe("quota_exceeded");
        host.Emulator.Count(SpeechPath).ShouldBe(1);
    }

    [Fact]
    public async Task Answers_504_at_once_when_the_deadline_has_passed()
    {
        host.Emulator.Reset();

        var error = await host.FailedAsync(host.Speech(voice: SarahId) with { Deadline = DateTimeOffset.UtcNow.AddSeconds(-1) });

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
        var error = await _host.FailedAsync(_host.Speech(voice: "EXAVITQu4vr4xnSDxMaL"));

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_auth_failed");
        error.Message.ShouldContain("platform's credentials");
        error.Message.ShouldContain("Your CCAPI API key is fine");
        error.Message.ShouldNotContain("sk_wrong");
        _host.Emulator.SpeechCalls.ShouldHaveSingleItem().ApiKey.ShouldBe("sk_wrong_key_0000");
    }

    [Fact]
    public async Task Answers_502_provider_auth_failed_when_the_voice_list_refuses_the_key()
    {
        var error = await _host.FailedAsync(_host.Speech(voice: "Rachel"));

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_auth_failed");
        _host.Emulator.Count("/v1/voices").ShouldBe(1);
    }

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private sealed class WrongKeyHost : ElevenLabsAdapterHost
    {
        protected override void Configure(Dictionary<string, string?> settings) => settings["ElevenLabs:ApiKey"] = "sk_wrong_key_0000";
    }
}

using CCApi.Adapters.ElevenLabs.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Testing.Adapters;

namespace CCApi.Adapters.ElevenLabs.Tests.Integration;

/// <summary>The kit's failure modes through the bus, in ElevenLabs' words, and those of the voice list and the quota.</summary>
public sealed class FailureModeTests(ElevenLabsAdapterHost host) : FailureModeTests<ElevenLabsAdapterHost>(host), IClassFixture<ElevenLabsAdapterHost>
{
    private const string SpeechPath = "/v1/text-to-speech/" + ElevenLabsAdapterHost.SarahId;

    protected override string ServerErrorMessage => "An internal server error occurred";

    protected override void ShouldSayRateLimited(ErrorInfo error)
    {
        error.Message.ShouldContain("Too many concurrent requests");
        error.Details!["provider_code"].ShouldBe("concurrent_limit_exceeded");
    }

    protected override void ShouldSayMalformed(ErrorInfo error) => error.Message.ShouldContain("mp3_44100_128");

    [Fact]
    public async Task Answers_502_when_the_voice_list_needed_for_a_name_keeps_failing()
    {
        Host.Emulator.Reset();
        Host.Emulator.Fail(FailureMode.ServerError);

        var error = await Host.FailedAsync(Host.Speech(voice: "Voice " + Guid.NewGuid().ToString("N")[..6]));

        error.Status.ShouldBe(502);
        Host.Emulator.Count("/v1/voices").ShouldBe(3);
        Host.Emulator.SpeechCalls.ShouldBeEmpty();
    }

    [Fact]
    public async Task Answers_502_when_the_voice_list_is_malformed()
    {
        Host.Emulator.Reset();
        Host.Emulator.Fail(FailureMode.Malformed, times: 1);

        var error = await Host.FailedAsync(Host.Speech(voice: "Voice " + Guid.NewGuid().ToString("N")[..6]));

        error.Status.ShouldBe(502);
        error.Message.ShouldContain("voice list");
        Host.Emulator.SpeechCalls.ShouldBeEmpty();
    }

    [Fact]
    public async Task Answers_503_saying_the_platforms_quota_is_used_up_when_ElevenLabs_answers_quota_exceeded()
    {
        Host.Emulator.Reset();
        Host.Emulator.QuotaExceeded = true;

        var error = await Host.FailedAsync(Host.Speech(voice: ElevenLabsAdapterHost.SarahId));

        error.Status.ShouldBe(503);
        error.Code.ShouldBe("provider_unavailable");
        error.Message.ShouldContain("quota is used up");
        error.Message.ShouldContain("Your CCAPI API key is fine");
        error.Details!["provider_code"].ShouldBe("quota_exceeded");
        Host.Emulator.Count(SpeechPath).ShouldBe(1);
    }
}

/// <summary>The platform's key is wrong (the kit's shared test), also when the voice list is what refuses it.</summary>
public sealed class RefusedCredentialsTests : RefusedCredentialsTests<ElevenLabsAdapterHost>
{
    protected override string WrongKey => "sk_wrong_key_0000";

    protected override string KeyFragment => "sk_wrong";

    protected override void ShouldHaveSentTheKey(string key) => Host.Emulator.SpeechCalls.ShouldHaveSingleItem().ApiKey.ShouldBe(key);

    [Fact]
    public async Task Answers_502_provider_auth_failed_when_the_voice_list_refuses_the_key()
    {
        var error = await Host.FailedAsync(Host.Speech(voice: "Rachel"));

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_auth_failed");
        Host.Emulator.Count("/v1/voices").ShouldBe(1);
    }
}

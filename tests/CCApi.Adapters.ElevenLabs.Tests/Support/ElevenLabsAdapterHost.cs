using CCApi.Contracts;
using CCApi.Emulators.ElevenLabs;
using CCApi.Testing.Adapters;
using MassTransit;

namespace CCApi.Adapters.ElevenLabs.Tests.Support;

/// <summary>
/// One emulator and one ElevenLabs adapter (the kit's <see cref="EmulatedAdapterHost{TProgram, TEmulator}"/>, RabbitMQ
/// vhost "elevenlabs"), where the voice list may be listed again on every miss unless a test class asks otherwise.
/// </summary>
public class ElevenLabsAdapterHost() : EmulatedAdapterHost<Program, ElevenLabsEmulator>("elevenlabs", "ElevenLabs", "elevenlabs-test-" + Guid.NewGuid().ToString("N")[..8])
{
    /// <summary>A premade voice by id: no voice listing before the synthesis.</summary>
    public const string SarahId = "EXAVITQu4vr4xnSDxMaL";

    public override IJobCommand Job() => Speech(voice: SarahId);

    protected override Task<ElevenLabsEmulator> StartEmulatorAsync() => ElevenLabsEmulator.StartAsync();

    protected override Dictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["ElevenLabs:VoiceRefreshMinInterval"] = "00:00:00";
        return settings;
    }

    /// <summary>A request client on the provider's speech queue: to the adapter, the request the gateway's dispatcher sends (request id, response address, time to live).</summary>
    public IRequestClient<Speech> Client() => Client<Speech>(JobKind.Speech);

    public JobRoute Route(string model = "eleven_turbo_v2", decimal perCharacter = 0.00005m) => Route(model, new ModelPricing { PerCharacter = perCharacter });

    public Speech Speech(string input = "Hello there", string voice = "Rachel", string format = "mp3", string model = "eleven_turbo_v2") => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route(model),
        Input = input,
        Voice = voice,
        Format = format,
    };

    public Task<Response<SpeechSynthesized, JobFailed>> AskAsync(Speech command) =>
        Client().GetResponse<SpeechSynthesized, JobFailed>(command);

    public async Task<SpeechSynthesized> SynthesizedAsync(Speech command) =>
        (SpeechSynthesized)(await RunJobAsync(command)).ShouldHaveSucceeded();

    public async Task<ErrorInfo> FailedAsync(Speech command) => (await RunJobAsync(command)).ShouldHaveFailed();
}

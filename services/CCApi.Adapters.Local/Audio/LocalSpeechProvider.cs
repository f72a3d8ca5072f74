using System.Diagnostics;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.ServiceDefaults;

namespace CCApi.Adapters.Local.Audio;

/// <summary>
/// espeak-1 as the kit's speech provider: <see cref="SpeechSynthesizer"/> synthesizes with espeak-ng and encodes, in this
/// process (the call's span is Internal); a missing or failing external tool ends the job as a provider failure that
/// names it. The kit's <see cref="ProviderSpeechConsumer{TProvider}"/> stores the audio, responds and publishes.
/// </summary>
public sealed partial class LocalSpeechProvider(SpeechSynthesizer synthesizer, ILogger<LocalSpeechProvider> logger) : ISpeechProvider
{
    public string SpeechStep => "local-speech";

    public ActivityKind SpeechCallKind => ActivityKind.Internal;

    public async Task<SpeechAudio> SynthesizeAsync(Speech command, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(command.Instructions))
        {
            // espeak-ng has voices, speed and pitch, nothing that reads directions: refused, never ignored.
            throw ApiException.BadField("instructions",
                "espeak-1 takes no 'instructions'; it speaks 'input' in the chosen 'voice' at 'speed'. Remove the field.", ErrorCodes.UnsupportedParameter);
        }

        try
        {
            var audio = await synthesizer.SynthesizeAsync(command.Input, command.Voice, command.Format, command.Speed, cancellationToken);
            return new SpeechAudio(audio.Bytes, audio.ContentType, audio.Format, audio.DurationSeconds);
        }
        catch (ExternalToolException ex)
        {
            LogToolFailed(logger, ex, ex.Tool, command.JobId);
            throw new UpstreamException(UpstreamErrors.ProviderFailed(command.Route.Provider, ex.Missing
                ? $"Speech synthesis is unavailable: {ex.Tool} is not installed on the local provider."
                : $"Speech synthesis failed in {ex.Tool}."), ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "External tool {Tool} failed for speech job {JobId}")]
    private static partial void LogToolFailed(ILogger logger, Exception exception, string tool, Guid jobId);
}

using System.Diagnostics;
using CCApi.Adapters.Hosting;
using CCApi.Adapters.Local.Audio;
using CCApi.Contracts;
using CCApi.Storage;
using MassTransit;

namespace CCApi.Adapters.Local.Consumers;

/// <summary>espeak-1: synthesizes with espeak-ng, encodes, stores the audio blob, responds + publishes SpeechSynthesized.</summary>
public sealed partial class SpeechConsumer(
    SpeechSynthesizer synthesizer,
    IBlobStore blobs,
    AdapterJobRunner runner,
    ILogger<SpeechConsumer> logger) : IConsumer<Speech>
{
    public Task Consume(ConsumeContext<Speech> context) =>
        runner.RunAsync(context, JobKind.Speech, "local-speech", async (command, cancellationToken) =>
        {
            SynthesizedAudio audio;
            try
            {
                audio = await synthesizer.SynthesizeAsync(command.Input, command.Voice, command.Format, command.Speed, cancellationToken);
            }
            catch (ExternalToolException ex)
            {
                LogToolFailed(logger, ex, ex.Tool, command.JobId);
                throw new UpstreamException(UpstreamErrors.ProviderFailed(command.Route.Provider, ex.Missing
                    ? $"Speech synthesis is unavailable: {ex.Tool} is not installed on the local provider."
                    : $"Speech synthesis failed in {ex.Tool}."), ex);
            }

            return await SpeechJobs.SynthesizedAsync(blobs, command, audio.Bytes, audio.ContentType, audio.Format, audio.DurationSeconds, context.CancellationToken);
        }, ActivityKind.Internal);

    [LoggerMessage(Level = LogLevel.Error, Message = "External tool {Tool} failed for speech job {JobId}")]
    private static partial void LogToolFailed(ILogger logger, Exception exception, string tool, Guid jobId);
}

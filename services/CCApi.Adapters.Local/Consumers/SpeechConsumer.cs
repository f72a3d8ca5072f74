using CCApi.Adapters.Hosting;
using System.Diagnostics;
using CCApi.Adapters.Local.Hosting;
using CCApi.Adapters.Local.Audio;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;

namespace CCApi.Adapters.Local.Consumers;

/// <summary>espeak-1: synthesizes with espeak-ng, encodes, stores the audio blob, responds + publishes SpeechSynthesized.</summary>
public sealed partial class SpeechConsumer(
    SpeechSynthesizer synthesizer,
    IBlobStore blobs,
    JobResultCache results,
    ILogger<SpeechConsumer> logger) : IConsumer<Speech>
{
    private const string Step = "local-speech";

    public async Task Consume(ConsumeContext<Speech> context)
    {
        var command = context.Message;
        using var activity = AdapterTelemetry.Start("local.speech", command, command.Route);
        activity?.SetTag("ccapi.voice", command.Voice);
        activity?.SetTag("ccapi.format", command.Format);
        var started = Stopwatch.GetTimestamp();

        if (await results.GetAsync<SpeechSynthesized>(command.JobId, Step) is { } earlier)
        {
            LogRedelivered(logger, command.JobId);
            await AdapterOutcomes.FinishAsync(context, earlier);
            return;
        }

        ErrorInfo error;
        try
        {
            if (AdapterOutcomes.IsPastDeadline(command.Deadline))
            {
                throw new ApiException(504, ErrorTypes.Api, ErrorCodes.ProviderTimeout, JobOutcomes.DeadlinePassed().Message);
            }

            var audio = await synthesizer.SynthesizeAsync(command.Input, command.Voice, command.Format, command.Speed, context.CancellationToken);
            var blob = await blobs.PutAsync(audio.Bytes, audio.ContentType, context.CancellationToken);
            var synthesized = new SpeechSynthesized
            {
                JobId = command.JobId,
                Timestamp = DateTimeOffset.UtcNow,
                Route = command.Route,
                Audio = blob,
                Format = audio.Format,
                DurationSeconds = audio.DurationSeconds,
                Usage = UsagePricing.Price(command.Route, characters: command.Input.Length),
            };
            await results.SetAsync(command.JobId, Step, synthesized);
            await AdapterOutcomes.FinishAsync(context, synthesized);
            AdapterTelemetry.Succeeded(activity, command.Route, synthesized.Usage, Stopwatch.GetElapsedTime(started));
            return;
        }
        catch (ApiException ex)
        {
            error = ex.ToErrorInfo();
        }
        catch (ExternalToolException ex)
        {
            LogToolFailed(logger, ex, ex.Tool, command.JobId);
            error = JobOutcomes.ProviderError(ex.Missing
                ? $"Speech synthesis is unavailable: {ex.Tool} is not installed on the local provider."
                : $"Speech synthesis failed in {ex.Tool}.");
        }

        AdapterTelemetry.Failed(activity, error);
        await AdapterOutcomes.FinishAsync(context, AdapterOutcomes.Failed(command, command.Route, JobKind.Speech, error));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Speech job {JobId} redelivered after it completed; answering with the stored result")]
    private static partial void LogRedelivered(ILogger logger, Guid jobId);

    [LoggerMessage(Level = LogLevel.Error, Message = "External tool {Tool} failed for speech job {JobId}")]
    private static partial void LogToolFailed(ILogger logger, Exception exception, string tool, Guid jobId);
}

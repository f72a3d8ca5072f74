using System.Diagnostics;
using CCApi.Adapters.Hosting;
using CCApi.Adapters.OpenAI.Upstream;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;

namespace CCApi.Adapters.OpenAI.Consumers;

/// <summary>Speech through POST /audio/speech: the audio bytes go to the blob store; responds and publishes SpeechSynthesized or JobFailed.</summary>
public sealed partial class SpeechConsumer(
    OpenAIClient client,
    IBlobStore blobs,
    JobResultCache results,
    ProviderAdapterOptions options,
    ILogger<SpeechConsumer> logger) : IConsumer<Speech>
{
    private const string Step = "openai-speech";

    public async Task Consume(ConsumeContext<Speech> context)
    {
        var command = context.Message;
        using var activity = AdapterTelemetry.Start("openai.speech", command, command.Route);
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
        using var deadline = AdapterOutcomes.DeadlineToken(command.Deadline, context.CancellationToken);
        try
        {
            if (AdapterOutcomes.IsPastDeadline(command.Deadline))
            {
                throw new UpstreamException(UpstreamErrors.DeadlinePassed(options.Provider));
            }

            var (audio, contentType) = await client.SpeechAsync(command, deadline.Token);
            var blob = await blobs.PutAsync(audio, contentType, context.CancellationToken);
            var synthesized = new SpeechSynthesized
            {
                JobId = command.JobId,
                Timestamp = DateTimeOffset.UtcNow,
                Route = command.Route,
                Audio = blob,
                Format = command.Format.ToLowerInvariant(),
                Usage = UsagePricing.Price(command.Route, characters: command.Input.Length),
            };
            await results.SetAsync(command.JobId, Step, synthesized);
            await AdapterOutcomes.FinishAsync(context, synthesized);
            AdapterTelemetry.Succeeded(activity, command.Route, synthesized.Usage, Stopwatch.GetElapsedTime(started));
            return;
        }
        catch (UpstreamException ex)
        {
            error = ex.Error;
        }
        catch (ApiException ex)
        {
            error = ex.ToErrorInfo();
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            error = UpstreamErrors.DeadlinePassed(options.Provider);
        }

        AdapterTelemetry.Failed(activity, error);
        await AdapterOutcomes.FinishAsync(context, AdapterOutcomes.Failed(command, command.Route, JobKind.Speech, error));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Speech job {JobId} redelivered after it completed; answering with the stored result")]
    private static partial void LogRedelivered(ILogger logger, Guid jobId);
}

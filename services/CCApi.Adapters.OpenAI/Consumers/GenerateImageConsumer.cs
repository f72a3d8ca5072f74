using System.Diagnostics;
using CCApi.Adapters.Hosting;
using CCApi.Adapters.OpenAI.Upstream;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;

namespace CCApi.Adapters.OpenAI.Consumers;

/// <summary>
/// Images through POST /images/generations (text-to-image). The images (b64_json decoded, or fetched from the URLs the
/// provider returned) go to the blob store; responds (when requested) and publishes <see cref="ImageGenerated"/> or
/// <see cref="JobFailed"/>. An async command also gets JobStarted and progress.
/// </summary>
public sealed partial class GenerateImageConsumer(
    OpenAIClient client,
    IBlobStore blobs,
    JobResultCache results,
    ProviderAdapterOptions options,
    ILogger<GenerateImageConsumer> logger) : IConsumer<GenerateImage>
{
    private const string Step = "openai-image";

    public async Task Consume(ConsumeContext<GenerateImage> context)
    {
        var command = context.Message;
        using var activity = AdapterTelemetry.Start("openai.image", command, command.Route);
        activity?.SetTag("ccapi.operation", command.Operation);
        activity?.SetTag("ccapi.async", command.Async);
        var started = Stopwatch.GetTimestamp();

        if (await results.GetAsync<ImageGenerated>(command.JobId, Step) is { } earlier)
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

            if (command.Async)
            {
                await context.Publish(new JobStarted { JobId = command.JobId, Timestamp = DateTimeOffset.UtcNow, Route = command.Route, Kind = JobKind.Image }, context.CancellationToken);
            }

            var upstream = await client.GenerateImagesAsync(command, deadline.Token);
            if (command.Async)
            {
                await context.Publish(new JobProgressed { JobId = command.JobId, Timestamp = DateTimeOffset.UtcNow, Percent = 75, Message = "generated" }, context.CancellationToken);
            }

            var images = new GeneratedImage[upstream.Count];
            for (var i = 0; i < upstream.Count; i++)
            {
                images[i] = new GeneratedImage
                {
                    Blob = await blobs.PutAsync(upstream[i].Bytes, upstream[i].ContentType, context.CancellationToken),
                    RevisedPrompt = upstream[i].RevisedPrompt,
                };
            }

            var generated = new ImageGenerated
            {
                JobId = command.JobId,
                Timestamp = DateTimeOffset.UtcNow,
                Route = command.Route,
                Operation = command.Operation,
                Images = images,
                RevisedPrompt = upstream[0].RevisedPrompt,
                Usage = UsagePricing.Price(command.Route, images: images.Length),
            };
            await results.SetAsync(command.JobId, Step, generated);
            await AdapterOutcomes.FinishAsync(context, generated);
            AdapterTelemetry.Succeeded(activity, command.Route, generated.Usage, Stopwatch.GetElapsedTime(started));
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
        await AdapterOutcomes.FinishAsync(context, AdapterOutcomes.Failed(command, command.Route, JobKind.Image, error));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image job {JobId} redelivered after it completed; answering with the stored result")]
    private static partial void LogRedelivered(ILogger logger, Guid jobId);
}

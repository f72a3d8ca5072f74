using CCApi.Adapters.Hosting;
using System.Diagnostics;
using CCApi.Adapters.Local.Hosting;
using CCApi.Adapters.Local.Images;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.Local.Consumers;

/// <summary>
/// pixel-1 (synchronous: respond + publish) and pixel-async-1 (asynchronous: JobStarted, JobProgressed 25/50/75 with a
/// pause between steps, then ImageGenerated or JobFailed, all published). PNGs go to the blob store.
/// </summary>
public sealed partial class GenerateImageConsumer(
    ImageJob job,
    IBlobStore blobs,
    JobResultCache results,
    IOptions<LocalAdapterOptions> options,
    ILogger<GenerateImageConsumer> logger) : IConsumer<GenerateImage>
{
    private const string Step = "local-image";

    public async Task Consume(ConsumeContext<GenerateImage> context)
    {
        var command = context.Message;
        var cancellationToken = context.CancellationToken;
        using var activity = AdapterTelemetry.Start("local.image", command, command.Route);
        activity?.SetTag("ccapi.operation", command.Operation);
        activity?.SetTag("ccapi.async", command.Async);
        var started = Stopwatch.GetTimestamp();

        if (await results.GetAsync<ImageGenerated>(command.JobId, Step) is { } earlier)
        {
            LogRedelivered(logger, command.JobId);
            await AdapterOutcomes.FinishAsync(context, earlier);
            return;
        }

        try
        {
            if (AdapterOutcomes.IsPastDeadline(command.Deadline))
            {
                throw new ApiException(504, ErrorTypes.Api, ErrorCodes.ProviderTimeout, JobOutcomes.DeadlinePassed().Message);
            }

            if (command.Async)
            {
                await context.Publish(new JobStarted { JobId = command.JobId, Timestamp = DateTimeOffset.UtcNow, Route = command.Route, Kind = JobKind.Image }, cancellationToken);
            }

            ImageJob.Validate(command);
            var tint = await job.LoadTintAsync(command.Inputs, cancellationToken);
            await ProgressAsync(context, 25, "inputs checked");

            var pngs = new byte[command.NumImages][];
            var seeds = new long[command.NumImages];
            for (var i = 0; i < command.NumImages; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                seeds[i] = ImageJob.SeedOf(command, i);
                pngs[i] = ProceduralImage.RenderPng(new ImageSpec(command.Prompt, seeds[i], command.Width, command.Height, tint, ImageJob.TintStrength(command.Strength)));
            }

            await ProgressAsync(context, 50, "rendered");

            var images = new GeneratedImage[pngs.Length];
            for (var i = 0; i < pngs.Length; i++)
            {
                images[i] = new GeneratedImage { Blob = await blobs.PutAsync(pngs[i], "image/png", cancellationToken), Seed = seeds[i] };
            }

            await ProgressAsync(context, 75, "stored");

            var generated = new ImageGenerated
            {
                JobId = command.JobId,
                Timestamp = DateTimeOffset.UtcNow,
                Route = command.Route,
                Operation = command.Operation,
                Images = images,
                Usage = UsagePricing.Price(command.Route, images: images.Length),
            };
            await results.SetAsync(command.JobId, Step, generated);
            await AdapterOutcomes.FinishAsync(context, generated);
            AdapterTelemetry.Succeeded(activity, command.Route, generated.Usage, Stopwatch.GetElapsedTime(started));
        }
        catch (ApiException ex)
        {
            var error = ex.ToErrorInfo();
            AdapterTelemetry.Failed(activity, error);
            await AdapterOutcomes.FinishAsync(context, AdapterOutcomes.Failed(command, command.Route, JobKind.Image, error));
        }
    }

    /// <summary>Async jobs only: report progress, then pause so a poller can see the job running.</summary>
    private async Task ProgressAsync(ConsumeContext<GenerateImage> context, int percent, string message)
    {
        if (!context.Message.Async)
        {
            return;
        }

        var delay = options.Value.AsyncStepDelay;
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, context.CancellationToken);
        }

        await context.Publish(new JobProgressed { JobId = context.Message.JobId, Timestamp = DateTimeOffset.UtcNow, Percent = percent, Message = message }, context.CancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image job {JobId} redelivered after it completed; answering with the stored result")]
    private static partial void LogRedelivered(ILogger logger, Guid jobId);
}

using System.Diagnostics;
using CCApi.Adapters.Hosting;
using CCApi.Adapters.Local.Images;
using CCApi.Contracts;
using CCApi.Storage;
using MassTransit;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.Local.Consumers;

/// <summary>
/// pixel-1 (synchronous: respond + publish) and pixel-async-1 (asynchronous: JobStarted, JobProgressed 25/50/75 with a
/// pause between steps, then ImageGenerated or JobFailed, all published). PNGs go to the blob store.
/// </summary>
public sealed class GenerateImageConsumer(
    ImageJob job,
    IBlobStore blobs,
    AdapterJobRunner runner,
    IOptions<LocalAdapterOptions> options) : IConsumer<GenerateImage>
{
    public Task Consume(ConsumeContext<GenerateImage> context) =>
        runner.RunAsync(context, JobKind.Image, "local-image", async (command, cancellationToken) =>
        {
            await ImageJobEvents.StartedAsync(context);

            ImageJob.Validate(command);
            var tint = await job.LoadTintAsync(command.Inputs, cancellationToken);
            await ProgressAsync(context, 25, "inputs checked", cancellationToken);

            var rendered = new ProviderImage[command.NumImages];
            for (var i = 0; i < command.NumImages; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var seed = ImageJob.SeedOf(command, i);
                var png = ProceduralImage.RenderPng(new ImageSpec(command.Prompt, seed, command.Width, command.Height, tint, ImageJob.TintStrength(command.Strength)));
                rendered[i] = new ProviderImage(png, "image/png", seed);
            }

            await ProgressAsync(context, 50, "rendered", cancellationToken);

            var images = await ImageJobEvents.StoreAsync(blobs, rendered, context.CancellationToken);

            await ProgressAsync(context, 75, "stored", cancellationToken);
            return ImageJobEvents.Generated(command, images);
        }, ActivityKind.Internal);

    /// <summary>Async jobs only: report progress, then pause so a poller can see the job running.</summary>
    private async Task ProgressAsync(ConsumeContext<GenerateImage> context, int percent, string message, CancellationToken cancellationToken)
    {
        if (!context.Message.Async)
        {
            return;
        }

        var delay = options.Value.AsyncStepDelay;
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken);
        }

        await ImageJobEvents.ProgressAsync(context, percent, message);
    }
}

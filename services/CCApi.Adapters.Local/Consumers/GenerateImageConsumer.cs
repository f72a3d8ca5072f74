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
/// pause between steps, then ImageGenerated or JobFailed, all published). PNGs go to the blob store. A streamed pixel-1
/// request that asks for partial images gets them first, per image: ever finer pixelations of it, relayed as they are made.
/// </summary>
public sealed class GenerateImageConsumer(
    ImageJob job,
    IBlobStore blobs,
    ImagePartials partials,
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
                var rgb = ProceduralImage.RenderRgb(new ImageSpec(command.Prompt, seed, command.Width, command.Height, tint, ImageJob.TintStrength(command.Strength)));
                await PartialsAsync(command, rgb, cancellationToken);
                rendered[i] = new ProviderImage(PngEncoder.EncodeRgb(rgb, command.Width, command.Height), "image/png", seed);
            }

            await ProgressAsync(context, 50, "rendered", cancellationToken);

            var images = await ImageJobEvents.StoreAsync(blobs, rendered, context.CancellationToken);

            await ProgressAsync(context, 75, "stored", cancellationToken);
            return ImageJobEvents.Generated(command, images);
        }, ActivityKind.Internal);

    /// <summary>
    /// A streamed synchronous request's partial images of one image (<see cref="GenerateImage.PartialImages"/>): the image
    /// pixelated in blocks of 8 × 2^(remaining) pixels, coarsest first, each relayed before the next is made.
    /// </summary>
    private async Task PartialsAsync(GenerateImage command, byte[] rgb, CancellationToken cancellationToken)
    {
        if (command.Async)
        {
            return;
        }

        for (var k = 0; k < command.PartialImages; k++)
        {
            var block = 8 << (command.PartialImages - 1 - k);
            var png = PngEncoder.EncodeRgb(ProceduralImage.Pixelate(rgb, command.Width, command.Height, block), command.Width, command.Height);
            await partials.PublishAsync(command.JobId, k, png, "image/png", cancellationToken);
        }
    }

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

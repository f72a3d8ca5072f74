using CCApi.Adapters.Hosting;
using CCApi.Adapters.StabilityAI.Upstream;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;

namespace CCApi.Adapters.StabilityAI.Consumers;

/// <summary>
/// Images through Stability's v1 generation API: text-to-image, image-to-image with the one input image, or inpainting
/// with it and a mask (…/image-to-image/masking, white = repaint) (loaded from
/// the blob store or fetched through the outbound URL guard). The command is validated first (400 naming the field, no
/// upstream call); the images go to the blob store with their seeds; responds (when requested) and publishes
/// <see cref="ImageGenerated"/> or <see cref="JobFailed"/>. An async command also gets JobStarted and progress.
/// </summary>
public sealed class GenerateImageConsumer(StabilityAIClient client, ImageInputs inputs, IBlobStore blobs, AdapterJobRunner runner) : IConsumer<GenerateImage>
{
    public Task Consume(ConsumeContext<GenerateImage> context) =>
        runner.RunAsync(context, JobKind.Image, "stabilityai-image", async (command, cancellationToken) =>
        {
            var plan = GenerationPlan.For(command);
            await ImageJobEvents.StartedAsync(context);

            LoadedImage? initImage = null;
            if (plan.InitImage is { } input)
            {
                var field = input.Field ?? GenerationPlan.InputField;
                initImage = await inputs.LoadAsync(input, field, cancellationToken);
                if (!GenerationPlan.InitImageTypes.Contains(initImage.ContentType))
                {
                    throw ApiException.BadField(field,
                        $"The input image is {initImage.ContentType}; this provider takes {string.Join(", ", GenerationPlan.InitImageTypes)}.");
                }
            }

            LoadedImage? maskImage = null;
            if (plan.MaskImage is { } maskInput && initImage is not null)
            {
                var field = maskInput.Field ?? GenerationPlan.InputField;
                maskImage = await inputs.LoadAsync(maskInput, field, cancellationToken);
                if (maskImage.ContentType is not ("image/png" or "image/jpeg"))
                {
                    throw ApiException.BadField(field, $"The mask is {maskImage.ContentType}; this provider takes image/png or image/jpeg.");
                }

                if (ImageBytes.PngSize(maskImage.Bytes) is { } mask && ImageBytes.PngSize(initImage.Bytes) is { } init && mask != init)
                {
                    throw ApiException.BadField(field,
                        $"The mask must have the input image's dimensions ({init.Width}x{init.Height}); it is {mask.Width}x{mask.Height}.");
                }
            }

            var artifacts = await client.GenerateAsync(plan, initImage, maskImage, cancellationToken);
            await ImageJobEvents.ProgressAsync(context, 75, "generated");

            var images = await ImageJobEvents.StoreAsync(blobs, artifacts, context.CancellationToken);
            return ImageJobEvents.Generated(command, images);
        });
}

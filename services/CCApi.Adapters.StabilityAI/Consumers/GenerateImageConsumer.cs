using CCApi.Adapters.Hosting;
using CCApi.Adapters.StabilityAI.Upstream;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;

namespace CCApi.Adapters.StabilityAI.Consumers;

/// <summary>
/// Images through Stability's v1 generation API: text-to-image, or image-to-image with the one input image (loaded from
/// the blob store or fetched through the outbound URL guard). The command is validated first (400 naming the field, no
/// upstream call); the images go to the blob store with their seeds; responds (when requested) and publishes
/// <see cref="ImageGenerated"/> or <see cref="JobFailed"/>. An async command also gets JobStarted and progress.
/// </summary>
public sealed class GenerateImageConsumer(StabilityAIClient client, ImageInputs inputs, IBlobStore blobs, AdapterJobRunner runner) : IConsumer<GenerateImage>
{
    public async Task Consume(ConsumeContext<GenerateImage> context)
    {
        var command = context.Message;
        using var call = AdapterTelemetry.Start(command);

        await runner.RunAsync(context, JobKind.Image, "stabilityai-image", call, async cancellationToken =>
        {
            var plan = GenerationPlan.For(command);
            await ImageJobEvents.StartedAsync(context);

            LoadedImage? initImage = null;
            if (plan.InitImage is { } input)
            {
                initImage = await inputs.LoadAsync(input, GenerationPlan.InputField, cancellationToken);
                if (!GenerationPlan.InitImageTypes.Contains(initImage.ContentType))
                {
                    throw ApiException.BadField(GenerationPlan.InputField,
                        $"The input image is {initImage.ContentType}; this provider takes {string.Join(", ", GenerationPlan.InitImageTypes)}.");
                }
            }

            var artifacts = await client.GenerateAsync(plan, initImage, cancellationToken);
            await ImageJobEvents.ProgressAsync(context, 75, "generated");

            var images = new GeneratedImage[artifacts.Count];
            for (var i = 0; i < artifacts.Count; i++)
            {
                images[i] = new GeneratedImage
                {
                    Blob = await blobs.PutAsync(artifacts[i].Bytes, artifacts[i].ContentType, context.CancellationToken),
                    Seed = artifacts[i].Seed,
                };
            }

            return ImageJobEvents.Generated(command, images);
        });
    }
}

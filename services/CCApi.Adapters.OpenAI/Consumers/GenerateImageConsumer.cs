using CCApi.Adapters.Hosting;
using CCApi.Adapters.OpenAI.Upstream;
using CCApi.Contracts;
using CCApi.Storage;
using MassTransit;

namespace CCApi.Adapters.OpenAI.Consumers;

/// <summary>
/// Images through POST /images/generations (text-to-image). The images (b64_json decoded, or fetched from the URLs the
/// provider returned) go to the blob store; responds (when requested) and publishes <see cref="ImageGenerated"/> or
/// <see cref="JobFailed"/>. An async command also gets JobStarted and progress.
/// </summary>
public sealed class GenerateImageConsumer(OpenAIClient client, IBlobStore blobs, AdapterJobRunner runner) : IConsumer<GenerateImage>
{
    public async Task Consume(ConsumeContext<GenerateImage> context)
    {
        var command = context.Message;
        using var call = AdapterTelemetry.Start(command);

        await runner.RunAsync(context, JobKind.Image, "openai-image", call, async cancellationToken =>
        {
            await ImageJobEvents.StartedAsync(context);

            var upstream = await client.GenerateImagesAsync(command, cancellationToken);
            await ImageJobEvents.ProgressAsync(context, 75, "generated");

            var images = new GeneratedImage[upstream.Count];
            for (var i = 0; i < upstream.Count; i++)
            {
                images[i] = new GeneratedImage
                {
                    Blob = await blobs.PutAsync(upstream[i].Bytes, upstream[i].ContentType, context.CancellationToken),
                    RevisedPrompt = upstream[i].RevisedPrompt,
                };
            }

            return ImageJobEvents.Generated(command, images, upstream[0].RevisedPrompt);
        });
    }
}

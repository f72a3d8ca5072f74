using CCApi.Adapters.Hosting;
using CCApi.Adapters.OpenAI.Upstream;
using CCApi.Contracts;
using CCApi.Storage;
using MassTransit;

namespace CCApi.Adapters.OpenAI.Consumers;

/// <summary>
/// Images through POST /images/generations (text-to-image), POST /images/edits (image-to-image, inpainting with a mask,
/// several images) or POST /images/variations (dall-e-2's variations); the inputs are loaded from the blob store or
/// fetched through the outbound URL guard. The images (b64_json decoded, or fetched from the URLs the provider returned)
/// go to the blob store; responds (when requested) and publishes <see cref="ImageGenerated"/> or <see cref="JobFailed"/>,
/// with gpt-image's token usage and its account of the images (<see cref="ImageOutput"/>) when it gives them.
/// An async command also gets JobStarted and progress. A streamed synchronous request for partial images of a gpt-image
/// model is streamed upstream, and each partial image is relayed to the waiting gateway as it arrives (<see cref="ImagePartials"/>).
/// </summary>
public sealed class GenerateImageConsumer(OpenAIClient client, ImageInputs inputs, IBlobStore blobs, ImagePartials partials, AdapterJobRunner runner)
    : IConsumer<GenerateImage>
{
    public Task Consume(ConsumeContext<GenerateImage> context) =>
        runner.RunAsync(context, JobKind.Image, "openai-image", async (command, cancellationToken) =>
        {
            UpstreamImages upstream;
            PartialImageHandler? relay = command.Async || command.PartialImages == 0
                ? null
                : (index, image, ct) => partials.PublishAsync(command.JobId, index, image.Bytes, image.ContentType, ct);
            if (ImageEditPlan.IsEdit(command))
            {
                var plan = ImageEditPlan.For(command); // 400 naming the field before anything is loaded or sent
                await ImageJobEvents.StartedAsync(context);
                var loaded = new List<LoadedImage>(plan.Images.Count);
                foreach (var input in plan.Images)
                {
                    loaded.Add(await inputs.LoadAsync(input, input.Field ?? "contents", cancellationToken));
                }

                var mask = plan.Mask is { } m ? await inputs.LoadAsync(m, m.Field ?? "contents", cancellationToken) : null;
                plan.CheckLoaded(loaded, mask);
                upstream = await client.EditImagesAsync(plan, loaded, mask, relay, cancellationToken);
            }
            else
            {
                await ImageJobEvents.StartedAsync(context);
                upstream = await client.GenerateImagesAsync(command, relay, cancellationToken);
            }

            await ImageJobEvents.ProgressAsync(context, 75, "generated");

            var images = await ImageJobEvents.StoreAsync(blobs, upstream.Images, context.CancellationToken);
            var generated = ImageJobEvents.Generated(command, images, upstream.Images[0].RevisedPrompt);
            return generated with
            {
                // gpt-image's token counts travel with the usage (the price stays per image) and its own account of the images.
                Usage = generated.Usage with
                {
                    PromptTokens = upstream.InputTokens,
                    CompletionTokens = upstream.OutputTokens,
                    TotalTokens = upstream.InputTokens + upstream.OutputTokens,
                },
                Output = upstream.Output,
            };
        });
}

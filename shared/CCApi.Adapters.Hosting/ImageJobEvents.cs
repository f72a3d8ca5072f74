using CCApi.Contracts;
using CCApi.Storage;
using MassTransit;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// The events of an image job, the same in every image adapter. JobStarted and JobProgressed go out for asynchronous
/// commands only (the client polls those); a synchronous caller just gets the answer.
/// </summary>
public static class ImageJobEvents
{
    public static Task StartedAsync(ConsumeContext<GenerateImage> context, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var command = context.Message;
        return command.Async
            ? context.Publish(new JobStarted { JobId = command.JobId, Timestamp = Now(time), Route = command.Route, Kind = JobKind.Image }, context.CancellationToken)
            : Task.CompletedTask;
    }

    public static Task ProgressAsync(ConsumeContext<GenerateImage> context, int percent, string? message, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var command = context.Message;
        return command.Async
            ? context.Publish(new JobProgressed { JobId = command.JobId, Timestamp = Now(time), Percent = percent, Message = message }, context.CancellationToken)
            : Task.CompletedTask;
    }

    /// <summary>
    /// Stores the images a provider made, in order (stored even if the job is canceled meanwhile: the outcome is
    /// recorded), each with what the provider said of it.
    /// </summary>
    public static async Task<GeneratedImage[]> StoreAsync(IBlobStore blobs, IReadOnlyList<ProviderImage> images, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentNullException.ThrowIfNull(images);
        var stored = new GeneratedImage[images.Count];
        for (var i = 0; i < images.Count; i++)
        {
            stored[i] = new GeneratedImage
            {
                Blob = await blobs.PutAsync(images[i].Bytes, images[i].ContentType, cancellationToken),
                Seed = images[i].Seed,
                RevisedPrompt = images[i].RevisedPrompt,
            };
        }

        return stored;
    }

    /// <summary>The outcome: the stored images, priced per image from the catalog.</summary>
    public static ImageGenerated Generated(GenerateImage command, IReadOnlyList<GeneratedImage> images, string? revisedPrompt = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(images);
        return new ImageGenerated
        {
            JobId = command.JobId,
            Timestamp = Now(time),
            Route = command.Route,
            Operation = command.Operation,
            Images = images,
            RevisedPrompt = revisedPrompt,
            Usage = UsagePricing.Price(command.Route, images: images.Count),
        };
    }

    private static DateTimeOffset Now(TimeProvider? time) => (time ?? TimeProvider.System).GetUtcNow();
}

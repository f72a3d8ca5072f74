namespace CCApi.Contracts;

/// <summary>Command: generate images. Sent to the "{provider}-image" queue.</summary>
/// <remarks>
/// Synchronous: sent as a request; the adapter responds with <see cref="ImageGenerated"/> or <see cref="JobFailed"/>.
/// Asynchronous: sent after the job is registered; progress and the result are published as events.
/// </remarks>
public sealed record GenerateImage : IJobCommand
{
    public required Guid JobId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required JobRoute Route { get; init; }

    /// <summary>
    /// "text-to-image", "image-to-image", "inpainting", "multi-image-remix" or "variation" (new images like the one input
    /// image, without a prompt: OpenAI's <c>/images/variations</c>).
    /// </summary>
    public required string Operation { get; init; }

    public required string Prompt { get; init; }
    public IReadOnlyList<ImageInput>? Inputs { get; init; }
    public int NumImages { get; init; } = 1;
    public required int Width { get; init; }
    public required int Height { get; init; }
    public string? AspectRatio { get; init; }
    public string? Quality { get; init; }
    public string? Style { get; init; }
    public long? Seed { get; init; }
    public int? Steps { get; init; }
    public double? GuidanceScale { get; init; }
    public string? NegativePrompt { get; init; }
    public double? Strength { get; init; }

    /// <summary>
    /// gpt-image's output options, under OpenAI's names: <c>png</c>, <c>jpeg</c> or <c>webp</c>; 0–100 for jpeg/webp;
    /// <c>transparent</c>, <c>opaque</c> or <c>auto</c>; <c>low</c> or <c>auto</c>. Set only for a model whose catalog
    /// <see cref="ModelCapabilities.ImageOptions"/> list them; null is the provider's default.
    /// </summary>
    public string? OutputFormat { get; init; }

    public int? OutputCompression { get; init; }
    public string? Background { get; init; }
    public string? Moderation { get; init; }

    /// <summary>
    /// A streamed request's <c>partial_images</c> (1–3; 0 = none), set only for a model whose catalog
    /// <see cref="ModelCapabilities.ImageOptions"/> list <c>partial_images</c>: the provider may draw that many partial
    /// images per image, and the adapter relays each as it comes (an <see cref="ImagePartial"/> on the job's partials
    /// channel) while the caller waits for the result. Fewer (or none) may come: OpenAI's own contract.
    /// </summary>
    public int PartialImages { get; init; }

    /// <summary>True when the client was answered 202 and follows the job by polling or webhook.</summary>
    public bool Async { get; init; }

    /// <inheritdoc cref="IJobCommand.Registered"/>
    /// <remarks>Every asynchronous job, and a synchronous one whose request named a <c>webhook_url</c>.</remarks>
    public bool Registered { get; init; }

    public DateTimeOffset? Deadline { get; init; }
}

/// <summary>An input image (or mask): either a URL for the adapter to fetch, or bytes already in the blob store.</summary>
public sealed record ImageInput
{
    public string? Url { get; init; }
    public BlobRef? Blob { get; init; }
    public string? MimeType { get; init; }
    public bool IsMask { get; init; }

    /// <summary>The request field it came from (e.g. "mask", "contents[0].image"), for 400s that name it; null = "contents".</summary>
    public string? Field { get; init; }
}

public sealed record GeneratedImage
{
    public required BlobRef Blob { get; init; }
    public long? Seed { get; init; }
    public string? RevisedPrompt { get; init; }
}

/// <summary>
/// A partial image of a streamed synchronous generation (not a bus message): published by the adapter on the job's
/// partials channel (Redis pub/sub) for the gateway that waits for the job, which relays it to its client as OpenAI's
/// <c>image_generation.partial_image</c> event. Its bytes are a short-lived blob.
/// </summary>
public sealed record ImagePartial
{
    /// <summary>0-based, in the order the provider drew them (OpenAI's <c>partial_image_index</c>).</summary>
    public required int Index { get; init; }

    public required BlobRef Blob { get; init; }
}

/// <summary>Event: images were generated. Also the response to a synchronous request.</summary>
public sealed record ImageGenerated : IJobResult
{
    public required Guid JobId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required JobRoute Route { get; init; }
    public required string Operation { get; init; }
    public required IReadOnlyList<GeneratedImage> Images { get; init; }
    public string? RevisedPrompt { get; init; }
    public required Usage Usage { get; init; }

    /// <summary>What the provider says it made (gpt-image answers its size, quality, background and format); null when it says nothing.</summary>
    public ImageOutput? Output { get; init; }

    /// <inheritdoc cref="IJobResult.ProviderDuration"/>
    public TimeSpan? ProviderDuration { get; init; }
}

/// <summary>
/// The settings a provider reports for the images it made, under OpenAI's names: <c>size</c> (e.g. <c>1024x1024</c>),
/// <c>quality</c> (the tier used, e.g. <c>high</c> for <c>auto</c>), <c>background</c> and <c>output_format</c>; each null when not reported.
/// </summary>
public sealed record ImageOutput
{
    public string? Size { get; init; }
    public string? Quality { get; init; }
    public string? Background { get; init; }
    public string? OutputFormat { get; init; }
}

namespace CCApi.Contracts;

/// <summary>
/// The catalog as the Catalog service serves it to the other services (<c>GET /catalog</c>, snake_case JSON) and as
/// <c>deploy/catalog.json</c> defines it. Not a bus message: an HTTP contract shared by the owner and its readers.
/// </summary>
public sealed record CatalogDocument
{
    public required string Version { get; init; }
    public required IReadOnlyList<ProviderEntry> Providers { get; init; }
    public required IReadOnlyList<ModelEntry> Models { get; init; }
}

public sealed record ProviderEntry
{
    /// <summary>Provider key used in model ids and routing, e.g. "openai".</summary>
    public required string Name { get; init; }

    public required string DisplayName { get; init; }

    /// <summary>True when the provider is the model's original vendor rather than a reseller or aggregator.</summary>
    public bool IsFundamental { get; init; }

    public string? Description { get; init; }
    public string? Website { get; init; }

    /// <summary>True for the embedded test/demo provider.</summary>
    public bool Demo { get; init; }

    /// <summary>
    /// Model types ("chat", "image", "audio") for which ANY "{name}/{model}" not in the catalog is still routed to this
    /// provider, with "{model}" passed through as the provider's own id: an OpenAI-compatible server (vLLM, Ollama, …)
    /// serves whatever models it has loaded. Such models are unpriced (cost 0) and have no catalog capabilities.
    /// </summary>
    public IReadOnlyList<string>? OpenModelTypes { get; init; }

    /// <summary>Live: "available", "degraded" or "unavailable" (filled by the Catalog service from adapter heartbeats).</summary>
    public string Status { get; init; } = "unavailable";

    public string? StatusDetail { get; init; }
    public DateTimeOffset? LastSeen { get; init; }
}

public sealed record ModelEntry
{
    /// <summary>Public id, "provider/model".</summary>
    public required string Id { get; init; }

    public required string Provider { get; init; }

    /// <summary>The provider's own id for the model.</summary>
    public required string ProviderModel { get; init; }

    public required string DisplayName { get; init; }

    /// <summary>"chat", "image" or "audio".</summary>
    public required string Type { get; init; }

    public IReadOnlyList<string> InputModalities { get; init; } = ["text"];
    public IReadOnlyList<string> OutputModalities { get; init; } = ["text"];

    /// <summary>"sync" or "async".</summary>
    public string Mode { get; init; } = "sync";

    /// <summary>Typical seconds to a result; reported as <c>estimated_time</c> on async jobs.</summary>
    public double? EstimatedSeconds { get; init; }

    public long Created { get; init; }
    public string? OwnedBy { get; init; }
    public string? Description { get; init; }

    /// <summary>True for test/demo models (the local provider's): deterministic, not a real AI model.</summary>
    public bool Demo { get; init; }

    public ModelCapabilities Capabilities { get; init; } = new();
    public ModelPricing Pricing { get; init; } = new();

    /// <summary>Image operations the model supports ("text-to-image", "image-to-image", …); empty for non-image models.</summary>
    public IReadOnlyList<string>? Operations { get; init; }

    /// <summary>Voices for speech models.</summary>
    public IReadOnlyList<string>? Voices { get; init; }

    /// <summary>Output formats for speech models ("mp3", "wav", …).</summary>
    public IReadOnlyList<string>? Formats { get; init; }

    /// <summary>Largest width/height in pixels for image models.</summary>
    public int? MaxImageSize { get; init; }

    /// <summary>
    /// The day (UTC) the provider stops serving the model, as OpenAI's model object has it (<c>shutdown_date</c>): until
    /// then its answers carry a <c>Sunset</c> header; from that day on it is refused (a failover candidate is skipped).
    /// </summary>
    public DateOnly? ShutdownDate { get; init; }

    /// <summary>The model to move to (its provider's recommended replacement), named when the model is refused.</summary>
    public string? Replacement { get; init; }

    /// <summary>True once <see cref="ShutdownDate"/> has come (UTC).</summary>
    public bool IsShutDown(DateTimeOffset now) => ShutdownDate is { } day && DateOnly.FromDateTime(now.UtcDateTime) >= day;
}

public sealed record ModelCapabilities
{
    /// <summary>Every chat <c>response_format.type</c> OpenAI defines.</summary>
    public static readonly IReadOnlyList<string> AllResponseFormats = ["text", "json_object", "json_schema"];

    public int? ContextLength { get; init; }
    public int? MaxOutputTokens { get; init; }

    /// <summary>
    /// Chat: answers <c>stream: true</c>. Speech: its audio reaches the client as the provider makes it (the audio bytes
    /// or <c>stream_format: "sse"</c>); false for a model whose provider makes the audio whole (both forms still work).
    /// </summary>
    public bool Streaming { get; init; }
    public bool FunctionCalling { get; init; }
    public int? MaxImages { get; init; }
    public int? MaxInputCharacters { get; init; }

    /// <summary>
    /// Chat models taking images: the most input tokens one image part is billed as (OpenAI's gpt-4o-mini: 2,833 + 5,667 a
    /// 512-px tile, at most 8 tiles at high detail = 48,169; the local echo-1, which does not look at images: 0). What a
    /// credit reservation and a TPM limit count for each image; unset, an image counts as many tokens as its part has
    /// bytes, which no provider bills.
    /// </summary>
    public int? ImageInputTokens { get; init; }

    /// <summary>
    /// Chat models: the <c>response_format</c> types the model honours (<c>text</c>, <c>json_object</c>,
    /// <c>json_schema</c>); another is refused before dispatch. Unset: passed through unchecked.
    /// </summary>
    public IReadOnlyList<string>? ResponseFormats { get; init; }

    /// <summary>Chat models: whether the model returns <c>logprobs</c>; false refuses them before dispatch. Unset: passed through unchecked.</summary>
    public bool? Logprobs { get; init; }

    /// <summary>
    /// Every gpt-image output option OpenAI defines on its image routes, and <c>partial_images</c>: the model draws
    /// partial images its adapter relays to a streamed request (a model without it streams its final images only).
    /// </summary>
    public static readonly IReadOnlyList<string> AllImageOptions = ["output_format", "output_compression", "background", "moderation", "partial_images"];

    /// <summary>
    /// Image models: the gpt-image output options the model honours (of <see cref="AllImageOptions"/>; OpenAI's
    /// gpt-image-1: all). A value other than the default for an option not listed is refused before dispatch; a
    /// <c>partial_images</c> of a model without it is accepted and no partial image comes (as OpenAI allows). Unset: none.
    /// </summary>
    public IReadOnlyList<string>? ImageOptions { get; init; }

    /// <summary>
    /// Speech models: whether the model follows <c>instructions</c> (OpenAI's gpt-4o-mini-tts does; tts-1, the local
    /// espeak-1 and ElevenLabs' voices do not); false refuses them before dispatch, rather than speaking as if none had
    /// been sent. Unset: passed through unchecked.
    /// </summary>
    public bool? SpeechInstructions { get; init; }

    /// <summary>
    /// Image models: the sizes the model makes, as <c>WIDTHxHEIGHT</c> (OpenAI's models make three each, SDXL 1.0 nine).
    /// A <c>size</c>, or explicit <c>parameters.width</c>/<c>height</c> without an <c>aspect_ratio</c>, that is not listed
    /// is refused before dispatch, naming the field and listing the sizes — even while the provider is down, so a client
    /// never retries a request that cannot succeed. A bare <c>aspect_ratio</c> is left to the adapter, which picks the
    /// model's size of the nearest shape. Unset: any size within <c>max_image_size</c>.
    /// </summary>
    public IReadOnlyList<string>? ImageSizes { get; init; }

    /// <summary>
    /// Image models: the <c>style</c> values the model takes (OpenAI's dall-e-3: vivid, natural; its other models none,
    /// an empty list); another is refused before dispatch. Unset: passed through unchecked.
    /// </summary>
    public IReadOnlyList<string>? ImageStyles { get; init; }

    /// <summary>
    /// Every image <c>quality</c> the routes take: CCAPI's and dall-e's <c>standard</c>/<c>hd</c> and gpt-image's tiers;
    /// each adapter gives its model the nearest tier it has.
    /// </summary>
    public static readonly IReadOnlyList<string> AllImageQualities = ["standard", "hd", "low", "medium", "high", "auto"];

    /// <summary>
    /// Image models: the <c>quality</c> values (of <see cref="AllImageQualities"/>) the model can honour — OpenAI's dall-e-2
    /// has one tier, so it takes those that ask no more than standard and refuses <c>hd</c>/<c>high</c>. Another is refused
    /// before dispatch, naming the field and listing these, even while the provider is down. Unset: any.
    /// </summary>
    public IReadOnlyList<string>? ImageQualities { get; init; }

    /// <summary>Every image <c>response_format</c>: a signed link or the bytes in base64.</summary>
    public static readonly IReadOnlyList<string> AllImageResponseFormats = ["url", "b64_json"];

    /// <summary>
    /// Image models: the <c>response_format</c> the OpenAI-compatible routes (<c>/v1/images/generations</c>,
    /// <c>/v1/images/edits</c>) answer in when a request names none. OpenAI's gpt-image models only ever answer
    /// <c>b64_json</c>, and the code written for them reads <c>data[0].b64_json</c> without asking for it. Unset:
    /// <c>url</c>, OpenAI's default for dall-e. <c>/v1/images/generate</c> keeps CCAPI's own default, <c>url</c>.
    /// </summary>
    public string? ImageResponseFormat { get; init; }

    /// <summary>The image response format of a request that names <paramref name="requested"/> (null: none) to this model.</summary>
    public string ImageResponseFormatOr(string? requested) => requested ?? ImageResponseFormat ?? "url";
}

public sealed record ModelPricing
{
    public string Currency { get; init; } = "USD";
    public decimal? InputPerMillion { get; init; }

    /// <summary>Input tokens the provider served from its prompt cache, per million; null: at <see cref="InputPerMillion"/>.</summary>
    public decimal? CachedInputPerMillion { get; init; }

    public decimal? OutputPerMillion { get; init; }
    public decimal? PerImage { get; init; }
    public decimal? PerCharacter { get; init; }
}

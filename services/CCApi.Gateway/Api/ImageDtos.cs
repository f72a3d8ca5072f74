using System.Text.Json;
using System.Text.Json.Serialization;

namespace CCApi.Gateway.Api;

/// <summary>POST /v1/images/generations (spec 2.3 / 3.10, OpenAI-compatible).</summary>
public sealed class ImageGenerationsRequestBody
{
    public string? Model { get; set; }
    public string? Prompt { get; set; }
    public int? N { get; set; }
    public string? Size { get; set; }

    /// <summary>url | b64_json; unset: the model's <c>capabilities.image_response_format</c>, else url.</summary>
    public string? ResponseFormat { get; set; }

    public string? Quality { get; set; }
    public string? Style { get; set; }
    public string? User { get; set; }

    /// <summary>True: the images come as OpenAI's server-sent image events (<see cref="Http.ImageStreams"/>), in base64.</summary>
    public bool? Stream { get; set; }

    // gpt-image's output options: carried to a model whose catalog image_options list them; for any other a value that
    // would change the image is refused, never ignored (ImageRequestValidator.OutputOptions). PartialImages: 0-3 with Stream.
    public string? OutputFormat { get; set; }
    public long? OutputCompression { get; set; }
    public string? Background { get; set; }
    public string? Moderation { get; set; }
    public long? PartialImages { get; set; }

    /// <summary>Fields OpenAI's route does not have: ignored, except those of CCAPI's own image route (see <c>ImageEndpoints</c>).</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>LegacyImageGenerationResponse (spec 3.11).</summary>
public sealed record ImageGenerationsResponse(
    string Id,
    long Created,
    string Model,
    string Provider,
    IReadOnlyList<ImageDatum> Data,
    string? RevisedPrompt)
{
    // OpenAI's gpt-image answers say what they made: the provider's account when it gives one (ImageGenerated.Output),
    // else what was asked (the size always; the others only when asked for), and its token usage when it reports it.
    public string? Size { get; init; }
    public string? Quality { get; init; }
    public string? Background { get; init; }
    public string? OutputFormat { get; init; }
    public ImageTokenUsage? Usage { get; init; }
}

/// <summary>The token usage of an image request, as OpenAI's gpt-image answers report it (the price stays per image).</summary>
public sealed record ImageTokenUsage(int InputTokens, int OutputTokens, int TotalTokens);

/// <summary>ImageDatum (spec 3.15): url or b64_json, never both.</summary>
public sealed record ImageDatum(
    string? Url,
    [property: JsonPropertyName("b64_json")] string? B64Json,
    string? RevisedPrompt,
    long? Seed);

/// <summary>POST /v1/images/generate (spec 2.4 / 3.14).</summary>
public sealed class ImageGenerateRequestBody
{
    public string? Model { get; set; }
    public List<ContentItemBody?>? Contents { get; set; }
    public ImageParametersBody? Parameters { get; set; }

    /// <summary>Where the job's final payload is POSTed, signed (Standard Webhooks): for an async model, and for a sync one besides its 200.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Other fields: ignored (spec 3.14 may list more), except those of OpenAI's image route (see <c>ImageEndpoints</c>).</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>MultimodalInputContent (spec 3.12).</summary>
public sealed class ContentItemBody
{
    public string? Text { get; set; }
    public ImageSourceBody? Image { get; set; }
    public ImageSourceBody? Mask { get; set; }
}

public sealed class ImageSourceBody
{
    public string? Url { get; set; }
    public string? Data { get; set; }
    public string? MimeType { get; set; }
}

/// <summary>MultimodalImageParameters (spec 3.13).</summary>
public sealed class ImageParametersBody
{
    public int? NumImages { get; set; }
    public int? Width { get; set; }
    public int? Height { get; set; }
    public string? AspectRatio { get; set; }
    public string? Quality { get; set; }
    public long? Seed { get; set; }
    public int? Steps { get; set; }
    public double? GuidanceScale { get; set; }
    public string? NegativePrompt { get; set; }
    public double? Strength { get; set; }
    public string? ResponseFormat { get; set; }

    // Ours, under OpenAI's names: gpt-image's output options, for a model whose capabilities.image_options list them
    // (ImageRequestValidator.OutputOptions; for another, a value other than the default is 400 naming parameters.<field>).
    public string? OutputFormat { get; set; }
    public long? OutputCompression { get; set; }
    public string? Background { get; set; }
    public string? Moderation { get; set; }

    /// <summary>Members spec 3.13 does not define: each a 400 naming it (<c>ImageEndpoints.RefuseGenerationsFields</c>), never a silently different image.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

/// <summary>
/// MultimodalImageGenerationResponse (spec 3.16) plus <c>progress</c> (ours, 0–100, while polling), <c>usage</c> and
/// <c>webhook</c>; <c>key_id</c> (the owning key) only in the admin API's job routes.
/// </summary>
public sealed record MultimodalImageResponse(
    string Id,
    long Created,
    string Model,
    string Status,
    ExecutionInfo Execution,
    IReadOnlyList<ImageDatum>? Data = null,
    string? PollUrl = null,
    double? EstimatedTime = null,
    int? Progress = null,
    JobErrorResponse? Error = null,
    ImageUsageResponse? Usage = null,
    WebhookDeliveryResponse? Webhook = null,
    string? KeyId = null);

/// <summary>A finished image job's usage: images made and their cost at the catalog's price (<c>cost_usd</c>, null when unpriced).</summary>
public sealed record ImageUsageResponse(
    int Images,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] decimal? CostUsd);

/// <summary>
/// A job's webhook delivery (ours; absent without webhook_url or before the job ends): status "pending",
/// "delivered", "failed" (410 Gone or a refused URL) or "dead" (every attempt failed; redeliver to try again).
/// Read from JobStatus' job view as it is and passed on unchanged.
/// </summary>
public sealed record WebhookDeliveryResponse(
    string Status,
    int Attempts,
    string? LastError = null,
    int? LastStatusCode = null,
    long? LastAttemptAt = null,
    long? NextAttemptAt = null,
    long? DeliveredAt = null);

public sealed record ExecutionInfo(string Mode, string Operation, string Provider);

/// <summary>ErrorObject inside a job response (in-band failure, spec 4.1).</summary>
public sealed record JobErrorResponse(string Message, string Type, string? Code, JsonElement? Details);

using System.Text.Json.Serialization;
using CCApi.ServiceDefaults;

namespace CCApi.JobStatus.Webhooks;

/// <summary>
/// The public MultimodalImageGenerationResponse (spec 3.16) of a finished job, as POSTed to its webhook_url: the body a
/// client polling GET /v1/images/jobs/{id} sees at the end, its <c>progress</c> and <c>usage</c> included (all but the
/// view's <c>webhook</c> delivery status, which this very delivery is changing).
/// </summary>
public sealed record WebhookPayload
{
    /// <summary>The public job id: "img_" + the job id's 32 hex digits.</summary>
    public required string Id { get; init; }

    public required long Created { get; init; }
    public required string Model { get; init; }

    /// <summary>"completed", "failed" or "canceled".</summary>
    public required string Status { get; init; }

    public required WebhookExecution Execution { get; init; }
    public IReadOnlyList<WebhookImage>? Data { get; init; }

    /// <summary>100 for a completed job; how far a failed or canceled one had come.</summary>
    public int Progress { get; init; }

    public ErrorObject? Error { get; init; }

    /// <summary>A completed job's images and what they cost (what a receiver books); absent otherwise.</summary>
    public WebhookUsage? Usage { get; init; }
}

/// <summary>
/// <c>cost_usd</c>: the job's priced cost, null when nothing was charged (JobStatus holds no catalog: a model without a
/// price, which the job view shows as null, and a free one, which it shows as 0, both read null here).
/// </summary>
public sealed record WebhookUsage(int Images, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] decimal? CostUsd);

public sealed record WebhookExecution(string Mode, string Operation, string Provider);

public sealed record WebhookImage
{
    public string? Url { get; init; }

    [JsonPropertyName("b64_json")]
    public string? B64Json { get; init; }

    public string? RevisedPrompt { get; init; }
    public long? Seed { get; init; }
}

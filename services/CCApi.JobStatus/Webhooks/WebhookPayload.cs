using System.Text.Json.Serialization;
using CCApi.ServiceDefaults;

namespace CCApi.JobStatus.Webhooks;

/// <summary>
/// The public MultimodalImageGenerationResponse (spec 3.16) of a finished job, as POSTed to its webhook_url: the same
/// body a client polling GET /v1/images/jobs/{id} would see at the end.
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
    public ErrorObject? Error { get; init; }
}

public sealed record WebhookExecution(string Mode, string Operation, string Provider);

public sealed record WebhookImage
{
    public string? Url { get; init; }

    [JsonPropertyName("b64_json")]
    public string? B64Json { get; init; }

    public string? RevisedPrompt { get; init; }
    public long? Seed { get; init; }
}

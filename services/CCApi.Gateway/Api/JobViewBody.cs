using System.Text.Json;

namespace CCApi.Gateway.Api;

/// <summary>The gateway's reader of JobStatus' JobView (GET {JobStatusUrl}/jobs/{id}); tolerant of extra fields.</summary>
public sealed class JobViewBody
{
    public string? Id { get; set; }
    public string? OwnerId { get; set; }
    public string? Kind { get; set; }
    public string? State { get; set; }
    public string? Mode { get; set; }
    public string? Model { get; set; }
    public string? Provider { get; set; }
    public string? Operation { get; set; }
    public long Created { get; set; }
    public long Updated { get; set; }
    public int? Progress { get; set; }
    public double? EstimatedSeconds { get; set; }
    public string? ResponseFormat { get; set; }
    public List<JobViewImage>? Images { get; set; }
    public string? RevisedPrompt { get; set; }
    public JobViewError? Error { get; set; }
    public JobViewUsage? Usage { get; set; }

    /// <summary>JobStatus' webhook delivery record, shown to the job's owner as it is.</summary>
    public WebhookDeliveryResponse? Webhook { get; set; }
}

/// <summary>The job's priced usage as JobStatus keeps it (the adapter's <c>Usage</c>).</summary>
public sealed class JobViewUsage
{
    public int PromptTokens { get; set; }
    public int CompletionTokens { get; set; }
    public int Images { get; set; }
    public int Characters { get; set; }
    public decimal Cost { get; set; }
    public string? Currency { get; set; }

    /// <summary>The adapter's usage again (what the sweeper settles a job with when its gateway could not).</summary>
    public Usage ToUsage() => new()
    {
        PromptTokens = PromptTokens,
        CompletionTokens = CompletionTokens,
        TotalTokens = PromptTokens + CompletionTokens,
        Images = Images,
        Characters = Characters,
        Cost = Cost,
        Currency = Currency ?? "USD",
    };
}

public sealed class JobViewImage
{
    public JobViewBlob? Blob { get; set; }
    public long? Seed { get; set; }
    public string? RevisedPrompt { get; set; }
}

public sealed class JobViewBlob
{
    public string? Id { get; set; }
    public string? ContentType { get; set; }
    public long Length { get; set; }
}

public sealed class JobViewError
{
    public string? Message { get; set; }
    public string? Type { get; set; }
    public string? Code { get; set; }
    public JsonElement? Details { get; set; }
    public int? Status { get; set; }
}

/// <summary>JobStatus' page of the newest asynchronous jobs (GET /jobs).</summary>
public sealed class JobListBody
{
    public List<JobViewBody> Data { get; set; } = [];
    public bool HasMore { get; set; }
}

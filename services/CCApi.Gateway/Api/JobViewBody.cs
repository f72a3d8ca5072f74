namespace CCApi.Gateway.Api;

/// <summary>
/// The gateway's reader of JobStatus' JobView (GET {JobStatusUrl}/jobs/{id}); tolerant of extra fields. Images, error and
/// usage are read as the Contracts types JobStatus writes them from.
/// </summary>
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
    public List<GeneratedImage>? Images { get; set; }
    public string? RevisedPrompt { get; set; }
    public ErrorInfo? Error { get; set; }
    public Usage? Usage { get; set; }

    /// <summary>JobStatus' webhook delivery record, shown to the job's owner as it is.</summary>
    public WebhookDeliveryResponse? Webhook { get; set; }
}

/// <summary>JobStatus' page of the newest asynchronous jobs (GET /jobs).</summary>
public sealed class JobListBody
{
    public List<JobViewBody> Data { get; set; } = [];
    public bool HasMore { get; set; }
}

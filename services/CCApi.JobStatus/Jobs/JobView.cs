using System.Text.Json.Serialization;
using CCApi.Contracts;

namespace CCApi.JobStatus.Jobs;

/// <summary>
/// A job as GET /jobs/{id} serves it (snake_case, nulls omitted) — the record JobStatus keeps in Redis, read back.
/// The gateway checks <see cref="OwnerId"/> before showing a job to a caller.
/// </summary>
public sealed record JobView
{
    /// <summary>The job id, 32 hex digits (Guid "N").</summary>
    public required string Id { get; init; }

    public string? OwnerId { get; init; }

    /// <summary>"image", "chat" or "speech".</summary>
    public string? Kind { get; init; }

    /// <summary>A name from <see cref="JobStates"/>.</summary>
    public required string State { get; init; }

    /// <summary>"sync" or "async".</summary>
    public string? Mode { get; init; }

    public string? Model { get; init; }
    public string? Provider { get; init; }
    public string? Operation { get; init; }

    /// <summary>Unix seconds.</summary>
    public long Created { get; init; }

    /// <summary>Unix seconds of the last change.</summary>
    public long Updated { get; init; }

    /// <summary>0–100; never decreases.</summary>
    public int Progress { get; init; }

    public double? EstimatedSeconds { get; init; }

    /// <summary>"url" or "b64_json": how results are rendered to the client.</summary>
    public string? ResponseFormat { get; init; }

    public IReadOnlyList<GeneratedImage>? Images { get; init; }
    public string? RevisedPrompt { get; init; }
    public ErrorInfo? Error { get; init; }
    public Usage? Usage { get; init; }

    /// <summary>The webhook delivery (status, attempts, last_error, ...); absent when the job has no webhook or has not ended.</summary>
    public Webhooks.WebhookView? Webhook { get; init; }

    /// <summary>Where the final payload goes; internal (a user-supplied URL is not echoed to other services' callers).</summary>
    [JsonIgnore]
    public string? WebhookUrl { get; init; }

    [JsonIgnore]
    public bool IsTerminal => JobStates.IsTerminal(State);
}

/// <summary>Webhook delivery states recorded on the job.</summary>
public static class WebhookStates
{
    public const string Pending = "pending";
    public const string Delivering = "delivering";
    public const string Delivered = "delivered";
    public const string Failed = "failed";

    /// <summary>Every attempt of the retry schedule failed (the dead letter; a redelivery starts over).</summary>
    public const string Dead = "dead";
}

/// <summary>A page of the newest asynchronous jobs (GET /jobs).</summary>
public sealed record JobList(IReadOnlyList<JobView> Data, bool HasMore);

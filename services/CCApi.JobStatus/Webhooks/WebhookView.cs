using System.Globalization;
using CCApi.JobStatus.Jobs;

namespace CCApi.JobStatus.Webhooks;

/// <summary>
/// A job's webhook delivery as GET /jobs/{id} serves it (<c>"webhook": {...}</c>); absent when the job has no webhook
/// or has not ended yet. Times are unix seconds.
/// </summary>
public sealed record WebhookView
{
    /// <summary>"pending" (due or waiting for a retry; also while an attempt is under way), "delivered", "failed" (410 Gone, a refused URL, webhooks off) or "dead" (every attempt failed).</summary>
    public required string Status { get; init; }

    /// <summary>Attempts made in the current series (a redelivery starts a new series).</summary>
    public int Attempts { get; init; }

    public string? LastError { get; init; }

    /// <summary>The HTTP status of the last attempt, when the receiver answered.</summary>
    public int? LastStatusCode { get; init; }

    public long? LastAttemptAt { get; init; }
    public long? NextAttemptAt { get; init; }
    public long? DeliveredAt { get; init; }

    /// <summary>The delivery of a job record's fields, or null when it has none.</summary>
    public static WebhookView? Read(IReadOnlyDictionary<string, string?> fields)
    {
        string? Get(string field) => fields.TryGetValue(field, out var value) && !string.IsNullOrEmpty(value) ? value : null;
        long? Long(string field) => long.TryParse(Get(field), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

        if (Get(WebhookFields.Status) is not { } status)
        {
            return null;
        }

        return new WebhookView
        {
            Status = status == WebhookStates.Delivering ? WebhookStates.Pending : status,
            Attempts = (int)(Long(WebhookFields.Attempts) ?? 0),
            LastError = Get(WebhookFields.LastError),
            LastStatusCode = (int?)Long(WebhookFields.LastStatusCode),
            LastAttemptAt = Long(WebhookFields.LastAttemptMs) / 1000,
            NextAttemptAt = status == WebhookStates.Pending ? Long(WebhookFields.DueMs) / 1000 : null,
            DeliveredAt = Long(WebhookFields.DeliveredMs) / 1000,
        };
    }
}

/// <summary>The webhook fields of a job's hash (written only by <see cref="WebhookStore"/>, but "pending" by the job script).</summary>
public static class WebhookFields
{
    public const string Status = "webhook_status";
    public const string Attempts = "webhook_attempts";
    public const string LastError = "webhook_last_error";
    public const string LastStatusCode = "webhook_last_status_code";
    public const string LastAttemptMs = "webhook_last_attempt_ms";
    public const string DueMs = "webhook_due_ms";
    public const string DeliveredMs = "webhook_delivered_ms";
    public const string Lease = "webhook_lease";
    public const string LeaseUntilMs = "webhook_lease_until_ms";
}

using System.ComponentModel.DataAnnotations;

namespace CCApi.JobStatus.Webhooks;

public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>
    /// HMAC-SHA256 key for the X-CCAPI-Signature header (at least 16 characters). Empty: webhooks are sent unsigned and a
    /// warning is logged at start.
    /// </summary>
    public string? SigningSecret { get; set; }

    /// <summary>HTTP attempts per delivery, the first included.</summary>
    [Range(1, 20, ErrorMessage = "Webhooks:MaxAttempts must be between 1 and 20.")]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Delay before the first retry; doubles with each further retry (with jitter).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00", ErrorMessage = "Webhooks:InitialDelay must be between 0 and 5 minutes.")]
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Deliveries in flight per process.</summary>
    [Range(1, 256, ErrorMessage = "Webhooks:ConcurrencyLimit must be between 1 and 256.")]
    public int ConcurrencyLimit { get; set; } = 16;

    public bool IsSigned => !string.IsNullOrEmpty(SigningSecret);
}

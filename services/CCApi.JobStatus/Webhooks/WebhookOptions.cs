using System.ComponentModel.DataAnnotations;
using System.Globalization;
using CCApi.Outbound;
using CCApi.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace CCApi.JobStatus.Webhooks;

public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>The default retry schedule: 7 retries over about 27.6 hours (the first attempt is immediate).</summary>
    public const string DefaultSchedule = "00:00:05,00:05:00,00:30:00,02:00:00,05:00:00,10:00:00,10:00:00";

    /// <summary>
    /// The Standard Webhooks signing secret: <c>whsec_</c> + base64 of 24..64 random bytes. Unset: webhooks are off (the
    /// gateway refuses <c>webhook_url</c> with 400, and a due webhook is marked failed, never sent unsigned). Never logged.
    /// </summary>
    public string? Secret { get; set; }

    /// <summary>
    /// Delays before each retry, comma-separated TimeSpans (the first attempt is immediate; attempts = entries + 1).
    /// Each delay gets ±<see cref="Jitter"/> and is lengthened to an answer's <c>Retry-After</c> (up to <see cref="MaxRetryAfter"/>).
    /// </summary>
    [Required(ErrorMessage = "Webhooks:Schedule is required.")]
    public string Schedule { get; set; } = DefaultSchedule;

    /// <summary>Relative jitter applied to every scheduled delay (0.1 = ±10%).</summary>
    [Range(0.0, 0.5, ErrorMessage = "Webhooks:Jitter must be between 0 and 0.5.")]
    public double Jitter { get; set; } = 0.1;

    /// <summary>The longest a receiver's <c>Retry-After</c> may push one retry out.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "Webhooks:MaxRetryAfter must be between 0 and 1 day.")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromHours(10);

    /// <summary>
    /// How long one attempt may hold a delivery before another replica may take it over (longer than the outbound
    /// timeout, <c>OutboundUrls:Timeout</c>). A replica that dies mid-attempt delays that delivery by this much.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00", ErrorMessage = "Webhooks:AttemptLease must be between 5 seconds and 1 hour.")]
    public TimeSpan AttemptLease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often each replica looks for retries that have come due.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00", ErrorMessage = "Webhooks:PollInterval must be between 50 ms and 1 minute.")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Deliveries in flight per process.</summary>
    [Range(1, 256, ErrorMessage = "Webhooks:ConcurrencyLimit must be between 1 and 256.")]
    public int ConcurrencyLimit { get; set; } = 16;

    public bool Enabled => !string.IsNullOrEmpty(Secret);

    /// <summary>The parsed <see cref="Schedule"/> (call only after validation).</summary>
    public IReadOnlyList<TimeSpan> RetryDelays => TryParseSchedule(Schedule, out var delays) ? delays : [];

    /// <summary>1 to 20 delays, each more than 0 and at most 1 day.</summary>
    public static bool TryParseSchedule(string? schedule, out IReadOnlyList<TimeSpan> delays)
    {
        var list = new List<TimeSpan>();
        delays = list;
        foreach (var part in (schedule ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!TimeSpan.TryParse(part, CultureInfo.InvariantCulture, out var delay) || delay <= TimeSpan.Zero || delay > TimeSpan.FromDays(1))
            {
                return false;
            }

            list.Add(delay);
        }

        return list.Count is >= 1 and <= 20;
    }

    /// <summary>Start-up checks beyond the attributes: the secret's format and the schedule.</summary>
    public IEnumerable<string> Problems()
    {
        if (Enabled && WebhookSecret.Problem(Secret) is { } problem)
        {
            yield return $"Webhooks:Secret {problem} (or leave it unset to turn webhooks off).";
        }

        if (!TryParseSchedule(Schedule, out _))
        {
            yield return "Webhooks:Schedule must be 1 to 20 comma-separated delays (TimeSpan, e.g. 00:00:05), each more than 0 and at most 1 day.";
        }
    }
}

/// <summary>Checks <see cref="WebhookOptions"/>'s attributes at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class WebhookOptionsValidator : IValidateOptions<WebhookOptions>;

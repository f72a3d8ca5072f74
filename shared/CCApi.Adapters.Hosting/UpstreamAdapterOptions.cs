using System.ComponentModel.DataAnnotations;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// What an adapter that calls a provider's HTTP API adds to <see cref="AdapterOptions"/>: where the API is, the
/// platform's key, timeouts, retries and the circuit breaker (each adapter derives a sealed options class with its
/// SectionName). The API key is optional on purpose: without it the adapter still runs, reports the provider
/// "unavailable" and answers its queue with 503 provider_unavailable.
/// </summary>
public abstract class UpstreamAdapterOptions : AdapterOptions
{
    /// <summary>Every upstream adapter starts from its provider name and the provider's public API as the base URL.</summary>
    protected UpstreamAdapterOptions(string provider, string publicBaseUrl)
    {
        Provider = provider;
        BaseUrl = publicBaseUrl;
    }

    /// <summary>The upstream API's base URL (the provider's public one unless configured).</summary>
    [Required]
    [Url(ErrorMessage = "BaseUrl must be an absolute http(s) URL.")]
    public string BaseUrl { get; set; }

    /// <summary>The platform's key for the provider. Never logged. Empty = provider unavailable.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Longest one upstream attempt may take (whole response; for streams, until the headers arrive).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:30:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Longest a stream may stay silent between two events before it counts as dropped.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:30:00")]
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after the first attempt for 429, 5xx, timeouts and connection failures (0 = none).</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 2;

    /// <summary>First backoff delay (exponential with jitter) when the provider gives no Retry-After.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest Retry-After the adapter waits for; a longer one answers 429 at once.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Circuit breaker: the share of failed calls (5xx, timeouts, connection failures) in the window that opens it.</summary>
    [Range(0.01, 1.0)]
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Circuit breaker: calls in the window before the ratio counts (at least 2).</summary>
    [Range(2, 100_000)]
    public int BreakerMinimumThroughput { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit fails fast before one call probes the provider again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    public bool HasApiKey => !string.IsNullOrWhiteSpace(ApiKey);

    /// <summary>Never the key: options may end up in logs or exception messages.</summary>
    public override string ToString() => $"{Provider} at {BaseUrl} (key {(HasApiKey ? "set" : "not set")})";
}

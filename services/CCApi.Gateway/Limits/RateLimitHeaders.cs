using System.Globalization;
using System.Text;

namespace CCApi.Gateway.Limits;

/// <summary>OpenAI's rate-limit headers, with its duration format for the resets ("20ms", "1s", "6m0s", "1h2m3.5s").</summary>
public static class RateLimitHeaders
{
    public const string LimitRequests = "x-ratelimit-limit-requests";
    public const string RemainingRequests = "x-ratelimit-remaining-requests";
    public const string ResetRequests = "x-ratelimit-reset-requests";
    public const string LimitTokens = "x-ratelimit-limit-tokens";
    public const string RemainingTokens = "x-ratelimit-remaining-tokens";
    public const string ResetTokens = "x-ratelimit-reset-tokens";

    /// <summary>
    /// A duration as OpenAI (Go's <c>time.Duration</c>) prints it, to the millisecond, rounded up so a client that waits
    /// that long is never early: under a second "NNNms", otherwise hours and minutes when non-zero, then seconds with
    /// up to three decimals ("0s" for zero).
    /// </summary>
    public static string FormatDuration(long microseconds)
    {
        if (microseconds <= 0)
        {
            return "0s";
        }

        var ms = (microseconds + 999) / 1000;
        if (ms < 1000)
        {
            return ms.ToString(CultureInfo.InvariantCulture) + "ms";
        }

        var text = new StringBuilder();
        var hours = ms / 3_600_000;
        var minutes = ms / 60_000 % 60;
        if (hours > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{hours}h");
        }

        if (hours > 0 || minutes > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{minutes}m");
        }

        var seconds = ms % 60_000 / 1000m;
        text.Append(seconds.ToString("0.###", CultureInfo.InvariantCulture)).Append('s');
        return text.ToString();
    }

    /// <summary>Whole seconds for <c>Retry-After</c>, rounded up, at least 1.</summary>
    public static long RetryAfterSeconds(long microseconds) => Math.Max(1, (microseconds + 999_999) / 1_000_000);
}

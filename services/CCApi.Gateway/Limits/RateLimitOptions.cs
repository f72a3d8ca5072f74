using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace CCApi.Gateway.Limits;

/// <summary>Per-key rate limits (the limits themselves are on each key: <c>limits.rpm</c>, <c>tpm</c>, <c>concurrency</c>).</summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "RateLimits";

    /// <summary>
    /// How long a concurrency slot is held at most when its request never ends (a gateway killed mid-request): the safety
    /// net, not the normal release, which happens when the request ends. Keep it above the longest request (streams).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan ConcurrencyLeaseTtl { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>Checks <see cref="RateLimitOptions"/>'s attributes at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class RateLimitOptionsValidator : IValidateOptions<RateLimitOptions>;

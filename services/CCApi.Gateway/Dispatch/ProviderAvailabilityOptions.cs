using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace CCApi.Gateway.Dispatch;

/// <summary>How the gateway asks the broker whether a provider's queue has consumers (<c>Availability</c> section).</summary>
public sealed class ProviderAvailabilityOptions
{
    public const string SectionName = "Availability";

    /// <summary>How long one answer about a provider queue's consumers is reused (per queue and gateway replica).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = "Availability:ConsumerCacheTtl must be between 0 and 1 min.")]
    public TimeSpan ConsumerCacheTtl { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the broker may take to answer; longer counts as "the broker cannot be reached" (503).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:10", ErrorMessage = "Availability:ProbeTimeout must be between 50 ms and 10 s.")]
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromMilliseconds(800);
}

/// <summary>Checks <see cref="ProviderAvailabilityOptions"/>'s attributes at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class ProviderAvailabilityOptionsValidator : IValidateOptions<ProviderAvailabilityOptions>;

using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace CCApi.Outbound;

/// <summary>Bounds on what the platform fetches from or posts to a URL a user gave (<c>OutboundUrls</c> section).</summary>
public sealed class OutboundUrlOptions
{
    public const string SectionName = "OutboundUrls";

    /// <summary>Largest body fetched from a user-supplied URL.</summary>
    [Range(1024, 256L * 1024 * 1024)]
    public long MaxBytes { get; set; } = 20 * 1024 * 1024;

    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Lets user-supplied URLs reach loopback and private addresses. For local development and tests only:
    /// in production this must stay false (design §3). Link-local and cloud metadata addresses stay refused either way
    /// (<see cref="OutboundUrlGuard.IsLinkLocalOrMetadata"/>).
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }
}

/// <summary>Checks <see cref="OutboundUrlOptions"/>'s attributes at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class OutboundUrlOptionsValidator : IValidateOptions<OutboundUrlOptions>;

using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace CCApi.Storage;

/// <summary>
/// The signing key and public origin of blob URLs. Every process that signs or verifies them binds this through
/// <see cref="BlobUrlRegistration.AddBlobUrls"/>, so the key's rules are checked the same way everywhere.
/// </summary>
public sealed class BlobUrlOptions
{
    public const string SectionName = "BlobUrls";

    /// <summary>HMAC key shared by every process that signs or verifies blob URLs (gateway, JobStatus).</summary>
    [Required(ErrorMessage = "BlobUrls:SigningKey is required (at least 32 characters).")]
    [MinLength(32, ErrorMessage = "BlobUrls:SigningKey must be at least 32 characters.")]
    public string? SigningKey { get; set; }

    /// <summary>Public origin of the gateway, e.g. https://api.example.com. When unset the gateway uses the request's own origin.</summary>
    [Url]
    public string? PublicBaseUrl { get; set; }

    /// <summary>How long a signed URL stays valid.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan Ttl { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>Checks <see cref="BlobUrlOptions"/>'s attributes at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class BlobUrlOptionsValidator : IValidateOptions<BlobUrlOptions>;

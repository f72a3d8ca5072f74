using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace CCApi.Gateway;

/// <summary>Where the gateway finds the internal HTTP APIs it reads from.</summary>
public sealed class ServicesOptions
{
    public const string SectionName = "Services";

    /// <summary>Base URL of the Catalog service (GET /catalog, /models, /providers).</summary>
    [Required(ErrorMessage = "Services:CatalogUrl is required.")]
    [AbsoluteHttpUrl]
    public string? CatalogUrl { get; set; }

    /// <summary>Base URL of the JobStatus service (GET /jobs/{id}).</summary>
    [Required(ErrorMessage = "Services:JobStatusUrl is required.")]
    [AbsoluteHttpUrl]
    public string? JobStatusUrl { get; set; }

    /// <summary>Timeout of one call to Catalog or JobStatus.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Checks <see cref="ServicesOptions"/>'s attributes at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class ServicesOptionsValidator : IValidateOptions<ServicesOptions>;

/// <summary>API keys: an optional key stored at start (for run.sh and tests), the admin key and the lookup cache.</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>Stored (hashed) in Redis at start when set. Never logged.</summary>
    [MinLength(16, ErrorMessage = "Auth:BootstrapApiKey must be at least 16 characters.")]
    public string? BootstrapApiKey { get; set; }

    /// <summary>
    /// The operators' key for /admin/v1 (SHA-256 compared in constant time, never logged). Unset: the admin API is off
    /// (404); an empty value counts as unset, so compose can pass an unset variable through. It is not a client key:
    /// /v1 routes refuse it.
    /// </summary>
    [EmptyOrMinLength(32, ErrorMessage = "Auth:AdminApiKey must be at least 32 characters (or empty to turn the admin API off).")]
    public string? AdminApiKey { get; set; }

    /// <summary>
    /// How long a verified key is trusted from memory before Redis is asked again. Changes and revocations do not wait
    /// for it: an ApiKeyChanged event evicts the key on every replica at once; this only bounds a lost event.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an unknown key is remembered as unknown (protects Redis from floods of bad keys).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan NegativeCacheTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A key's <c>last_used</c> is written at most this often per replica (not on every request).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LastUsedInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The admin key must not double as the bootstrap (client) key.</summary>
    public bool KeysAreDistinct() =>
        string.IsNullOrEmpty(AdminApiKey) || !string.Equals(AdminApiKey, BootstrapApiKey, StringComparison.Ordinal);
}

/// <summary>Checks <see cref="AuthOptions"/>'s attributes at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class AuthOptionsValidator : IValidateOptions<AuthOptions>;

/// <summary>Limits and timings of the edge itself.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>Largest request body; larger bodies answer 413.</summary>
    [Range(1024, 256L * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 25 * 1024 * 1024;

    /// <summary>Largest decoded inline image (<c>contents[i].image.data</c>).</summary>
    [Range(1024, 128L * 1024 * 1024)]
    public long MaxInputImageBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Longest image prompt (all text items together).</summary>
    [Range(1, 1_000_000)]
    public int MaxPromptCharacters { get; set; } = 32_000;

    /// <summary>Most items in <c>contents</c>.</summary>
    [Range(1, 64)]
    public int MaxContents { get; set; } = 16;

    /// <summary>How often the catalog snapshot is refreshed even without a CatalogChanged event.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan CatalogRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the gateway waits for JobStatus to register an async job, and then for the broker to take its command, before answering 503.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RegisterJobTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Checks <see cref="GatewayOptions"/>'s attributes at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class GatewayOptionsValidator : IValidateOptions<GatewayOptions>;

/// <summary>Null, empty, or at least the given number of characters.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class EmptyOrMinLengthAttribute(int length) : ValidationAttribute
{
    public int Length { get; } = length;

    public override bool IsValid(object? value) => value is null || (value is string s && (s.Length == 0 || s.Length >= Length));
}

/// <summary>An absolute http(s) URL (DataAnnotations' [Url] also lets ftp:// and relative-looking strings through).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class AbsoluteHttpUrlAttribute : ValidationAttribute
{
    public AbsoluteHttpUrlAttribute()
        : base("{0} must be an absolute http(s) URL.")
    {
    }

    public override bool IsValid(object? value) =>
        value is null
        || (value is string s && Uri.TryCreate(s, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps));
}

using System.ComponentModel.DataAnnotations;

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

/// <summary>API keys: an optional key stored at start (for run.sh and tests) and the lookup cache.</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>Stored (hashed) in Redis at start when set. Never logged.</summary>
    [MinLength(16, ErrorMessage = "Auth:BootstrapApiKey must be at least 16 characters.")]
    public string? BootstrapApiKey { get; set; }

    /// <summary>How long a verified key is trusted from memory before Redis is asked again.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an unknown key is remembered as unknown (protects Redis from floods of bad keys).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan NegativeCacheTtl { get; set; } = TimeSpan.FromSeconds(5);
}

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

    /// <summary>How long the gateway waits for JobStatus to register an async job before answering 503.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RegisterJobTimeout { get; set; } = TimeSpan.FromSeconds(10);
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

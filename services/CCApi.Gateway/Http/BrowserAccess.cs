using System.ComponentModel.DataAnnotations;
using CCApi.Gateway.Idempotency;
using CCApi.Gateway.Limits;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;

namespace CCApi.Gateway.Http;

/// <summary>
/// Which web pages on other origins may call the public API from a browser (CORS): a web app's own <c>fetch</c>, or an
/// OpenAI JavaScript SDK created with <c>dangerouslyAllowBrowser</c>. As OpenAI's API does, any origin by default: every
/// route still needs its bearer key, which a browser never sends on its own (no cookies, no credentials mode), so
/// allowing an origin lets its page use a key it was given, nothing more.
/// </summary>
public sealed class BrowserAccessOptions
{
    public const string SectionName = "Cors";

    /// <summary>Off: the public API sends no CORS headers, so browsers refuse every call from a page on another origin.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Origins allowed (<c>https://app.example.com</c>, <c>http://localhost:5173</c>, <c>https://*.example.com</c> for
    /// its subdomains); unset, or <c>*</c> alone: any origin. An origin is a scheme, a host and a port: no path, no slash
    /// at the end (a browser's <c>Origin</c> header has none, so such an entry would never match).
    /// </summary>
    public string[]? AllowedOrigins { get; set; }

    /// <summary>How long a browser may reuse a preflight's answer (browsers cap it: Chromium at 2 hours).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan PreflightMaxAge { get; set; } = TimeSpan.FromMinutes(10);

    internal bool AnyOrigin => AllowedOrigins is not { Length: > 0 } || AllowedOrigins is ["*"];

    /// <summary>Every entry is an origin (or <c>*</c> alone): checked at start, so a typo fails the gateway, not the browsers.</summary>
    public bool OriginsAreValid() => AnyOrigin || AllowedOrigins!.All(IsOrigin);

    private static bool IsOrigin(string origin)
    {
        var host = origin.Replace("://*.", "://wildcard.", StringComparison.Ordinal);
        return Uri.TryCreate(host, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            && uri.GetLeftPart(UriPartial.Authority).Equals(host, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>Checks <see cref="BrowserAccessOptions"/>'s attributes at start: generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class BrowserAccessOptionsValidator : IValidateOptions<BrowserAccessOptions>;

public static class BrowserAccess
{
    /// <summary>The CORS policy every public API route requires (<see cref="Endpoints.ApiRoutes"/>); admin, health and console routes have none.</summary>
    public const string PolicyName = "public-api";

    /// <summary>
    /// Response headers a page may read besides the CORS-safelisted ones: what the OpenAI SDKs read (request id,
    /// <c>Retry-After</c>, <c>x-should-retry</c>, rate limits) and what CCAPI answers with (an async job's
    /// <c>Location</c>, a replay's marker, a stream's job id).
    /// </summary>
    public static readonly string[] ExposedHeaders =
    [
        RequestIds.Header, "Retry-After", ApiException.ShouldRetryHeader, "Location", IdempotencyEndpointFilter.ReplayedHeader, JobIds.Header,
        Catalog.ModelResolution.SunsetHeader,
        RateLimitHeaders.LimitRequests, RateLimitHeaders.RemainingRequests, RateLimitHeaders.ResetRequests,
        RateLimitHeaders.LimitTokens, RateLimitHeaders.RemainingTokens, RateLimitHeaders.ResetTokens,
    ];

    public static IServiceCollection AddBrowserAccess(this IServiceCollection services)
    {
        services.AddOptions<BrowserAccessOptions>().BindConfiguration(BrowserAccessOptions.SectionName)
            .ValidateAttributes(new BrowserAccessOptionsValidator())
            .Validate(o => o.OriginsAreValid(),
                "Cors:AllowedOrigins must be '*' alone or origins such as https://app.example.com, http://localhost:5173 or https://*.example.com (scheme, host, port; no path or trailing slash).")
            .ValidateOnStart();
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<BrowserAccessOptions>>((cors, access) => cors.AddPolicy(PolicyName, Policy(access.Value)));
        return services;
    }

    /// <summary>
    /// After routing (the policy is the matched route's): answers preflights, adds the CORS headers to every answer of a
    /// public route — errors included, as the response starts, so a page can read a 401 or a 429 and its error object.
    /// A path under /v1 that no route serves (a route this version lacks, a method a route does not take) gets the same
    /// policy, so a page reads its 404 or 405 and the error object instead of a CORS failure that hides them.
    /// </summary>
    public static WebApplication UseBrowserAccess(this WebApplication app)
    {
        app.UseCors();
        app.UseWhen(static http => http.Request.Path.StartsWithSegments("/v1") && http.GetEndpoint()?.Metadata.GetMetadata<ICorsMetadata>() is null,
            static unrouted => unrouted.UseCors(PolicyName));
        return app;
    }

    internal static CorsPolicy Policy(BrowserAccessOptions options)
    {
        var policy = new CorsPolicyBuilder()
            .AllowAnyMethod()
            .AllowAnyHeader() // a preflight's requested headers are allowed as asked: the SDKs add x-stainless-* and more over time
            .WithExposedHeaders(ExposedHeaders)
            .SetPreflightMaxAge(options.PreflightMaxAge);
        if (!options.Enabled)
        {
            return policy.SetIsOriginAllowed(static _ => false).Build();
        }

        return options.AnyOrigin
            ? policy.AllowAnyOrigin().Build()
            : policy.WithOrigins(options.AllowedOrigins!).SetIsOriginAllowedToAllowWildcardSubdomains().Build();
    }
}

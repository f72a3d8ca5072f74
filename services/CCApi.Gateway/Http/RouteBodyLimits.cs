using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.Features;

namespace CCApi.Gateway.Http;

/// <summary>
/// The largest request body each route takes (bytes), below Kestrel's global <c>Gateway:MaxRequestBodyBytes</c>: a route
/// whose valid bodies are small (speech, prompt-only images, admin) does not have to read 25 MB to refuse it. Keys are
/// route patterns as mapped ("/v1/audio/speech", "/admin/v1/keys/{id}"); a route not listed keeps the global limit.
/// </summary>
public sealed class RouteBodyLimitOptions
{
    public const string SectionName = "BodyLimits";

    [Required]
    public Dictionary<string, long> Routes { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        // 40,000 characters (the longest speech input in the catalog), each up to 6 bytes as a \uXXXX escape, and the rest.
        ["/v1/audio/speech"] = 512 * 1024,
        // MaxPromptCharacters (32,000) escaped, and a handful of small fields.
        ["/v1/images/generations"] = 512 * 1024,
        // Conversations with inline images are large; tool schemas too.
        ["/v1/chat/completions"] = 16 * 1024 * 1024,
        // A key's name, models and limits: small; room for a long allow-list.
        ["/admin/v1/keys"] = 256 * 1024,
        ["/admin/v1/keys/{id}"] = 256 * 1024,
        ["/admin/v1/keys/{id}/credits"] = 256 * 1024,
    };

    public bool IsValid() => Routes.Values.All(v => v is > 0 and <= 1L << 34);
}

public static class RouteBodyLimits
{
    /// <summary>
    /// After routing: a declared Content-Length over the route's limit answers 413 payload_too_large at once (before
    /// authentication or reading); a chunked body is cut by Kestrel at the same limit (413 through the exception handler).
    /// </summary>
    public static WebApplication UseRouteBodyLimits(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<RouteBodyLimitOptions>>().Value;
        var limits = new Dictionary<string, long>(options.Routes, StringComparer.OrdinalIgnoreCase);
        app.Use(async (context, next) =>
        {
            if (context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } pattern }
                && limits.TryGetValue(pattern, out var limit))
            {
                if (context.Request.ContentLength > limit)
                {
                    await CcapiExceptionHandler.WriteAsync(context, TooLarge(pattern, limit), context.RequestAborted);
                    return;
                }

                if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature
                    && (feature.MaxRequestBodySize is null || feature.MaxRequestBodySize > limit))
                {
                    feature.MaxRequestBodySize = limit;
                }
            }

            await next(context);
        });
        return app;
    }

    private static ApiException TooLarge(string route, long limit) =>
        new(413, ErrorTypes.InvalidRequest, ErrorCodes.PayloadTooLarge,
            $"The request body is larger than {route} accepts ({limit} bytes).",
            new Dictionary<string, string> { ["max_bytes"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture) });
}

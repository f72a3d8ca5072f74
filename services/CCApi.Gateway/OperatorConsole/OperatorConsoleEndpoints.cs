using System.Globalization;
using System.Text.Json.Serialization;
using CCApi.Gateway.Endpoints;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace CCApi.Gateway.OperatorConsole;

/// <summary>
/// The operator console: a static single page served at /console from files embedded in this assembly (no build server,
/// nothing from a CDN), which signs in with the admin key and does everything through /admin/v1 — plus the two admin
/// routes only it needs: traffic figures (<c>GET /admin/v1/stats</c>) and provider status (<c>GET /admin/v1/providers</c>).
/// Every console response carries a strict Content-Security-Policy (scripts and styles only from this origin, no inline
/// code), <c>X-Frame-Options: DENY</c>, <c>no-referrer</c> and <c>Cache-Control: no-cache</c> (always revalidated
/// by ETag, so a new release is picked up at once and an unchanged one costs a 304).
/// </summary>
public static partial class OperatorConsoleEndpoints
{
    public const string RoutePath = "/console";

    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' data: blob:; " +
        "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>The embedded console files (flat: index.html, *.js, *.css, *.svg).</summary>
    public static IFileProvider Files { get; } = new EmbeddedFileProvider(typeof(OperatorConsoleEndpoints).Assembly, "CCApi.Gateway.Console");

    public static WebApplication UseOperatorConsole(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<ConsoleOptions>>().Value;
        if (!options.Enabled)
        {
            return app;
        }

        var contentTypes = new FileExtensionContentTypeProvider();
        contentTypes.Mappings[".js"] = "text/javascript; charset=utf-8";
        contentTypes.Mappings[".css"] = "text/css; charset=utf-8";
        contentTypes.Mappings[".html"] = "text/html; charset=utf-8";
        app.UseWhen(static context => context.Request.Path.StartsWithSegments(RoutePath, StringComparison.Ordinal), branch =>
        {
            branch.Use(static (context, next) =>
            {
                if (context.Request.Path.Value is RoutePath)
                {
                    context.Response.Redirect(RoutePath + "/", permanent: false); // relative module imports need the slash
                    return Task.CompletedTask;
                }

                context.Response.OnStarting(static state =>
                {
                    var headers = ((HttpResponse)state).Headers;
                    headers.ContentSecurityPolicy = ContentSecurityPolicy;
                    headers.XFrameOptions = "DENY";
                    headers.XContentTypeOptions = "nosniff";
                    headers["Referrer-Policy"] = "no-referrer";
                    headers["Cross-Origin-Opener-Policy"] = "same-origin";
                    headers["Cross-Origin-Resource-Policy"] = "same-origin";
                    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
                    headers.CacheControl = "no-cache";
                    return Task.CompletedTask;
                }, context.Response);
                return next(context);
            });
            branch.UseDefaultFiles(new DefaultFilesOptions { RequestPath = RoutePath, FileProvider = Files, DefaultFileNames = ["index.html"] });
            branch.UseStaticFiles(new StaticFileOptions { RequestPath = RoutePath, FileProvider = Files, ContentTypeProvider = contentTypes });
        });
        return app;
    }

    /// <summary>The console's own admin routes, behind the admin key like the rest of /admin/v1 (off without one).</summary>
    public static IEndpointRouteBuilder MapOperatorConsoleEndpoints(this IEndpointRouteBuilder app)
    {
        if (string.IsNullOrEmpty(app.ServiceProvider.GetRequiredService<IOptions<AuthOptions>>().Value.AdminApiKey))
        {
            return app;
        }

        var group = app.MapGroup("/admin/v1").WithTags("Admin").WithEndpointFilter<AdminKeyEndpointFilter>();
        group.MapGet("/stats", GetStats)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);
        group.MapGet("/providers", ListProviders)
            .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    /// <summary>Model-request traffic of every replica over the last <c>minutes</c> (1–1440, default 60).</summary>
    public static async Task<JsonHttpResult<TrafficSummary>> GetStats(string? minutes, TrafficStatistics statistics)
    {
        var window = 60;
        if (minutes is not null && (!int.TryParse(minutes, NumberStyles.None, CultureInfo.InvariantCulture, out window) || window is < 1 or > 1440))
        {
            throw ApiException.BadField("minutes", "'minutes' must be a whole number from 1 to 1440.");
        }

        return TypedResults.Json(await statistics.ReadAsync(window), ConsoleJsonContext.Default.TrafficSummary);
    }

    /// <summary>Every provider with its live status as this replica's catalog snapshot has it.</summary>
    public static async Task<JsonHttpResult<ProviderStatusList>> ListProviders(CatalogAccess catalogs, CancellationToken cancellationToken)
    {
        var catalog = await catalogs.GetAsync(cancellationToken);
        var providers = catalog.Document.Providers
            .Select(p => new ProviderStatusView(
                p.Name,
                p.DisplayName,
                p.Status,
                p.StatusDetail,
                p.LastSeen?.ToUnixTimeSeconds(),
                p.Demo,
                catalog.Document.Models.Count(m => string.Equals(m.Provider, p.Name, StringComparison.OrdinalIgnoreCase))))
            .ToList();
        return TypedResults.Json(new ProviderStatusList(providers, catalog.Version), ConsoleJsonContext.Default.ProviderStatusList);
    }
}

/// <summary>A provider as the Overview shows it: status "available" | "degraded" | "unavailable" and why.</summary>
public sealed record ProviderStatusView(string Name, string DisplayName, string Status, string? StatusDetail, long? LastSeen, bool Demo, int Models);

public sealed record ProviderStatusList(IReadOnlyList<ProviderStatusView> Data, string CatalogVersion)
{
    [JsonPropertyOrder(-1)]
    public string Object => "list";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(TrafficSummary))]
[JsonSerializable(typeof(ProviderStatusList))]
public sealed partial class ConsoleJsonContext : JsonSerializerContext;

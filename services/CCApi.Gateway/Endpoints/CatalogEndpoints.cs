using System.Text;
using CCApi.Gateway.Catalog;
using CCApi.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CCApi.Gateway.Endpoints;

/// <summary>
/// GET /v1/models (spec 2.6), /v1/providers and /v1/providers/{name} (2.7, 2.8): relayed to the Catalog service, which
/// renders the public shapes and validates the query; its status and body pass through unchanged.
/// </summary>
public static class CatalogEndpoints
{
    public static IEndpointRouteBuilder MapCatalogEndpoints(this IEndpointRouteBuilder app)
    {
        foreach (var group in app.MapApiGroups("Catalog"))
        {
            group.MapGet("/models", ListModels).Produces<ErrorResponse>(StatusCodes.Status400BadRequest);
            group.MapGet("/providers", ListProviders);
            group.MapGet("/providers/{name}", GetProvider).Produces<ErrorResponse>(StatusCodes.Status404NotFound);
        }

        return app;
    }

    public static Task<ContentHttpResult> ListModels(HttpContext http, CatalogClient catalog, CancellationToken cancellationToken) =>
        RelayAsync(catalog, "models" + http.Request.QueryString.Value, cancellationToken);

    public static Task<ContentHttpResult> ListProviders(HttpContext http, CatalogClient catalog, CancellationToken cancellationToken) =>
        RelayAsync(catalog, "providers" + http.Request.QueryString.Value, cancellationToken);

    public static Task<ContentHttpResult> GetProvider(string name, HttpContext http, CatalogClient catalog, CancellationToken cancellationToken) =>
        RelayAsync(catalog, "providers/" + Uri.EscapeDataString(name) + http.Request.QueryString.Value, cancellationToken);

    private static async Task<ContentHttpResult> RelayAsync(CatalogClient catalog, string pathAndQuery, CancellationToken cancellationToken)
    {
        var relayed = await catalog.RelayAsync(pathAndQuery, cancellationToken);
        if (relayed.Status >= 500)
        {
            throw new ApiException(503, ErrorTypes.Api, GatewayErrorCodes.ServiceUnavailable, "The model catalog is unavailable right now; retry shortly.");
        }

        return TypedResults.Content(relayed.Body, relayed.ContentType, Encoding.UTF8, relayed.Status);
    }
}

using System.Text;
using Microsoft.AspNetCore.Http.Extensions;

namespace CCApi.Gateway.Endpoints;

/// <summary>
/// GET /v1/models (spec 2.6), /v1/models/{id}, /v1/providers and /v1/providers/{name} (2.7, 2.8): relayed to the
/// Catalog service, which renders the public shapes and validates the query; its status and body pass through unchanged.
/// A key with a <c>models</c> allow-list sees only the models the list admits (the catalog filters before paging, through
/// the internal <c>allowed_models</c> parameter, which the gateway always sets itself), and 404 for any other model;
/// a provider's models and model counts are filtered the same way.
/// </summary>
public static class CatalogEndpoints
{
    public static IEndpointRouteBuilder MapCatalogEndpoints(this IEndpointRouteBuilder app) =>
        app.MapApiRoutes("Catalog", group =>
        {
            group.MapGet("/models", ListModels).Produces<ErrorResponse>(StatusCodes.Status400BadRequest);
            group.MapGet("/models/{**id}", GetModel)
                .WithSummary("Retrieve a model (OpenAI's model object plus the CCAPI fields); the id may hold '/' as is or percent-encoded.")
                .Produces<ErrorResponse>(StatusCodes.Status404NotFound);
            group.MapGet("/providers", ListProviders);
            group.MapGet("/providers/{name}", GetProvider).Produces<ErrorResponse>(StatusCodes.Status404NotFound);
        });

    public static Task<ContentHttpResult> ListModels(HttpContext http, CatalogClient catalog, CancellationToken cancellationToken) =>
        RelayAsync(catalog, "models" + QueryWithAllowList(http), cancellationToken);

    /// <summary>GET /v1/models/{id}: "openai/gpt-4o-mini" or "openai%2Fgpt-4o-mini" (how the OpenAI SDKs send it).</summary>
    public static Task<ContentHttpResult> GetModel(string id, HttpContext http, CatalogClient catalog, CancellationToken cancellationToken)
    {
        var modelId = Uri.UnescapeDataString(id);
        if (modelId.Length == 0 || modelId.Length > 300 || http.GetCaller().Models is { } models && !models.Allows(modelId))
        {
            throw new ApiException(404, ErrorTypes.InvalidRequest, ErrorCodes.ModelNotFound,
                $"The model '{(modelId.Length > 200 ? modelId[..200] : modelId)}' does not exist.", new Dictionary<string, string> { ["param"] = "model" });
        }

        var path = string.Join('/', modelId.Split('/').Select(Uri.EscapeDataString));
        return RelayAsync(catalog, "models/" + path, cancellationToken);
    }

    public static Task<ContentHttpResult> ListProviders(HttpContext http, CatalogClient catalog, CancellationToken cancellationToken) =>
        RelayAsync(catalog, "providers" + QueryWithAllowList(http), cancellationToken);

    /// <summary>GET /v1/providers/{name}: its models are those the caller's allow-list admits.</summary>
    public static Task<ContentHttpResult> GetProvider(string name, HttpContext http, CatalogClient catalog, CancellationToken cancellationToken) =>
        RelayAsync(catalog, "providers/" + Uri.EscapeDataString(name) + QueryWithAllowList(http), cancellationToken);

    /// <summary>The Catalog's internal filter: the caller's allow-list, comma-separated.</summary>
    private const string AllowedModels = "allowed_models";

    /// <summary>The request's query with <see cref="AllowedModels"/> set from the caller's key (never from the client).</summary>
    private static string? QueryWithAllowList(HttpContext http)
    {
        var allowed = http.GetCaller().Models?.Patterns;
        if (allowed is null && !http.Request.Query.ContainsKey(AllowedModels))
        {
            return http.Request.QueryString.Value;
        }

        var builder = new QueryBuilder(http.Request.Query.Where(p => p.Key != AllowedModels));
        if (allowed is not null)
        {
            builder.Add(AllowedModels, string.Join(',', allowed));
        }

        return builder.ToQueryString().Value;
    }

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

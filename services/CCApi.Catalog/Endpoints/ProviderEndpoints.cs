using CCApi.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CCApi.Catalog.Endpoints;

public static class ProviderEndpoints
{
    /// <summary>GET /providers and GET /providers/{name} (spec 2.7, 2.8).</summary>
    public static WebApplication MapProviderEndpoints(this WebApplication app)
    {
        var group = app.MapGroup("/providers").WithTags("Providers");
        group.MapGet("/", ListProviders);
        group.MapGet("/{name}", GetProvider);
        return app;
    }

    public static Ok<ProviderListResponse> ListProviders(CatalogState catalog) =>
        TypedResults.Ok(new ProviderListResponse(catalog.Current.Providers));

    public static Ok<ProviderDetail> GetProvider(string name, CatalogState catalog) =>
        TypedResults.Ok(catalog.Current.FindProvider(name) ?? throw ApiException.NotFound($"Provider '{name}' does not exist."));
}

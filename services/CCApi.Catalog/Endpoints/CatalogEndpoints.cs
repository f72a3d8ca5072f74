using CCApi.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CCApi.Catalog.Endpoints;

public static class CatalogEndpoints
{
    /// <summary>GET /catalog: the whole catalog with live status — the routing snapshot the gateway keeps in memory.</summary>
    public static WebApplication MapCatalogEndpoints(this WebApplication app)
    {
        app.MapGroup("/catalog").WithTags("Catalog").MapGet("/", GetCatalog);
        return app;
    }

    public static Ok<CatalogDocument> GetCatalog(CatalogState catalog) => TypedResults.Ok(catalog.Current.Document);
}

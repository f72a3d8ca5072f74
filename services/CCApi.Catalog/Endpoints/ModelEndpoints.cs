using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace CCApi.Catalog.Endpoints;

public static class ModelEndpoints
{
    /// <summary>GET /models?provider&amp;type&amp;sort&amp;order&amp;limit&amp;offset: the public model list (spec 2.6).</summary>
    public static WebApplication MapModelEndpoints(this WebApplication app)
    {
        app.MapGroup("/models").WithTags("Models").MapGet("/", ListModels);
        return app;
    }

    // Query values arrive as strings so that a bad one is a 400 naming the parameter (ModelQuery), not a binding error.
    public static Ok<ModelListResponse> ListModels(
        CatalogState catalog,
        [FromQuery] string? provider,
        [FromQuery] string? type,
        [FromQuery] string? sort,
        [FromQuery] string? order,
        [FromQuery] string? limit,
        [FromQuery] string? offset)
    {
        var query = ModelQuery.Parse(provider, type, sort, order, limit, offset);
        return TypedResults.Ok(new ModelListResponse(query.Apply(catalog.Current.Models)));
    }
}

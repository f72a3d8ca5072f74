using CCApi.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace CCApi.Catalog.Endpoints;

public static class ModelEndpoints
{
    /// <summary>
    /// GET /models?provider&amp;type&amp;capability&amp;modality&amp;sort&amp;order&amp;limit&amp;offset: the public model list
    /// (spec 2.6) with <c>has_more</c>; GET /models/{id}: one model (ids hold '/', so the route is a catch-all).
    /// </summary>
    public static WebApplication MapModelEndpoints(this WebApplication app)
    {
        var models = app.MapGroup("/models").WithTags("Models");
        models.MapGet("/", ListModels);
        models.MapGet("/{**id}", GetModel);
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
        [FromQuery] string? offset,
        [FromQuery] string? capability,
        [FromQuery] string? modality,
        [FromQuery(Name = "allowed_models")] string? allowedModels)
    {
        var query = ModelQuery.Parse(provider, type, sort, order, limit, offset, capability, modality, allowedModels);
        return TypedResults.Ok(query.Page(catalog.Current.Models));
    }

    /// <summary>
    /// One model by id, case ignored as model lookups are; an id that arrives percent-encoded ("openai%2Fgpt-4o-mini", as
    /// the OpenAI SDKs send it) is decoded first. Unknown → 404 <c>model_not_found</c>.
    /// </summary>
    public static Ok<ModelSummary> GetModel(string id, CatalogState catalog)
    {
        var modelId = Uri.UnescapeDataString(id);
        var model = catalog.Current.Models.FirstOrDefault(m => string.Equals(m.Id, modelId, StringComparison.OrdinalIgnoreCase))
            ?? throw NotFound(modelId);
        return TypedResults.Ok(model);
    }

    public static ApiException NotFound(string modelId) =>
        new(404, ErrorTypes.InvalidRequest, ErrorCodes.ModelNotFound, $"The model '{Truncate(modelId, 200)}' does not exist.",
            new Dictionary<string, string> { ["param"] = "model" });

    private static string Truncate(string value, int max) =>
        value.Length <= max ? value : value[..(char.IsHighSurrogate(value[max - 1]) ? max - 1 : max)]; // never half a pair
}

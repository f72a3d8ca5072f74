using CCApi.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

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

    /// <param name="allowedModels">The gateway's (the caller's key allow-list, see <see cref="ModelQuery.AllowedModels"/>): model counts count only the models it admits.</param>
    public static Ok<ProviderListResponse> ListProviders(CatalogState catalog, [FromQuery(Name = "allowed_models")] string? allowedModels)
    {
        var current = catalog.Current;
        if (ModelQuery.ParseAllowed(allowedModels) is not { } allowed)
        {
            return TypedResults.Ok(new ProviderListResponse(current.Providers));
        }

        var counts = current.Models.Where(m => ModelQuery.IsAllowed(allowed, m.Id)).CountBy(m => m.Provider.Name).ToDictionary(StringComparer.Ordinal);
        return TypedResults.Ok(new ProviderListResponse([.. current.Providers.Select(p => p with { ModelCount = counts.GetValueOrDefault(p.Name) })]));
    }

    /// <param name="name">The provider.</param>
    /// <param name="catalog">The catalog.</param>
    /// <param name="allowedModels">The gateway's: only the models it admits are listed.</param>
    public static Ok<ProviderDetail> GetProvider(string name, CatalogState catalog, [FromQuery(Name = "allowed_models")] string? allowedModels)
    {
        var provider = catalog.Current.FindProvider(name) ?? throw ApiException.NotFound($"Provider '{name}' does not exist.");
        if (ModelQuery.ParseAllowed(allowedModels) is { } allowed)
        {
            var models = provider.Models.Where(m => ModelQuery.IsAllowed(allowed, m.Id)).ToList();
            provider = provider with { Models = models, ModelCount = models.Count };
        }

        return TypedResults.Ok(provider);
    }
}

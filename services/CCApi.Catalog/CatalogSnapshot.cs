using CCApi.Contracts;

namespace CCApi.Catalog;

/// <summary>One immutable view of the catalog with live status, plus the public shapes derived from it once.</summary>
public sealed class CatalogSnapshot
{
    private readonly Dictionary<string, ProviderSummary> _providersByName;
    private readonly ILookup<string, ModelSummary> _modelsByProvider;

    private CatalogSnapshot(CatalogDocument document, IReadOnlyList<ModelSummary> models, IReadOnlyList<ProviderSummary> providers)
    {
        Document = document;
        Models = models;
        Providers = providers;
        _providersByName = providers.ToDictionary(p => p.Name, StringComparer.Ordinal);
        _modelsByProvider = models.ToLookup(m => m.Provider.Name, StringComparer.Ordinal);
    }

    /// <summary>What GET /catalog serves: the definition with live provider status.</summary>
    public CatalogDocument Document { get; }

    /// <summary>Every model's public summary, ordered by id.</summary>
    public IReadOnlyList<ModelSummary> Models { get; }

    /// <summary>Every provider's public summary, in definition order.</summary>
    public IReadOnlyList<ProviderSummary> Providers { get; }

    public ProviderDetail? FindProvider(string name) =>
        _providersByName.TryGetValue(name, out var summary) ? new ProviderDetail(summary, _modelsByProvider[name].ToList()) : null;

    public static CatalogSnapshot Build(CatalogDocument document)
    {
        var providers = document.Providers.ToDictionary(p => p.Name, StringComparer.Ordinal);
        var models = document.Models
            .Select(m => ToSummary(m, providers[m.Provider]))
            .OrderBy(m => m.Id, StringComparer.Ordinal)
            .ToList();
        var summaries = document.Providers.Select(p =>
        {
            var own = document.Models.Where(m => m.Provider == p.Name).ToList();
            return new ProviderSummary
            {
                Name = p.Name,
                DisplayName = p.DisplayName,
                IsFundamental = p.IsFundamental,
                Description = p.Description,
                Website = p.Website,
                Demo = p.Demo,
                Status = p.Status,
                StatusDetail = p.StatusDetail,
                LastSeen = p.LastSeen?.ToUnixTimeSeconds(),
                ModelCount = own.Count,
                Types = own.Select(m => m.Type).Concat(p.OpenModelTypes ?? []).Distinct().Order(StringComparer.Ordinal).ToList(),
                OpenModelTypes = p.OpenModelTypes is { Count: > 0 } open ? open : null,
            };
        }).ToList();
        return new CatalogSnapshot(document, models, summaries);
    }

    private static ModelSummary ToSummary(ModelEntry model, ProviderEntry provider) => new()
    {
        Id = model.Id,
        Created = model.Created,
        OwnedBy = model.OwnedBy ?? model.Provider,
        ShutdownDate = model.ShutdownDate,
        Provider = new ModelProvider(provider.Name, provider.DisplayName, provider.IsFundamental),
        Ccapi = new ModelDetails
        {
            DisplayName = model.DisplayName,
            Type = model.Type,
            InputModalities = model.InputModalities,
            OutputModalities = model.OutputModalities,
            Capabilities = model.Capabilities,
            Pricing = model.Pricing,
            Mode = model.Mode,
            EstimatedSeconds = model.EstimatedSeconds,
            Demo = model.Demo,
            Description = model.Description,
            Status = provider.Status,
            Operations = model.Operations,
            Voices = model.Voices,
            Formats = model.Formats,
            MaxImageSize = model.MaxImageSize,
            Replacement = model.Replacement,
        },
    };
}

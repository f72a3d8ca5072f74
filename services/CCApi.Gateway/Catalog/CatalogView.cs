namespace CCApi.Gateway.Catalog;

/// <summary>One immutable, indexed version of the catalog; replaced as a whole on refresh.</summary>
public sealed class CatalogView
{
    private readonly Dictionary<string, ModelEntry> _models = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, ProviderEntry> _providers = new(StringComparer.OrdinalIgnoreCase);

    public CatalogView(CatalogDocument document)
    {
        Document = document;
        foreach (var model in document.Models)
        {
            _models.TryAdd(model.Id, model);
        }

        foreach (var provider in document.Providers)
        {
            _providers.TryAdd(provider.Name, provider);
        }
    }

    public CatalogDocument Document { get; }

    public string Version => Document.Version;

    public ModelEntry? FindModel(string id) => _models.GetValueOrDefault(id);

    public ProviderEntry? FindProvider(string name) => _providers.GetValueOrDefault(name);

    /// <summary>False when the provider is reported "unavailable" (or unknown: nothing could serve the command).</summary>
    public bool IsAvailable(ModelEntry model) =>
        FindProvider(model.Provider) is { } provider && !string.Equals(provider.Status, "unavailable", StringComparison.OrdinalIgnoreCase);
}

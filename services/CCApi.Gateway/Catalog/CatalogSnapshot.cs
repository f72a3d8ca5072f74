namespace CCApi.Gateway.Catalog;

/// <summary>The gateway's in-memory catalog: read on every request, written by <see cref="CatalogRefresher"/>.</summary>
public sealed class CatalogSnapshot
{
    private volatile CatalogView? _current;

    public CatalogView? Current => _current;

    public void Update(CatalogDocument document) => _current = new CatalogView(document);
}

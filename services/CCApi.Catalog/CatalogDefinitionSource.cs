using CCApi.Contracts;
using Microsoft.Extensions.Options;

namespace CCApi.Catalog;

/// <summary>Where the definition file is (Catalog:DefinitionPath, resolved once) and how to read it.</summary>
public sealed class CatalogDefinitionSource(IOptions<CatalogOptions> options, IHostEnvironment environment)
{
    private readonly Lazy<string> _path = new(() =>
        CatalogDefinition.ResolvePath(options.Value.DefinitionPath!, environment.ContentRootPath, Directory.GetCurrentDirectory()));

    public string Path => _path.Value;

    public CatalogDocument Load() => CatalogDefinition.Load(Path);
}

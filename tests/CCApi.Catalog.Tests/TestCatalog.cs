using System.Text.Json.Nodes;
using CCApi.Catalog;
using CCApi.Contracts;

namespace CCApi.Catalog.Tests;

/// <summary>The repository's real definition file, and helpers to derive broken variants of it.</summary>
internal static class TestCatalog
{
    public static string DefinitionPath { get; } = FindDefinition();

    public static string Json => File.ReadAllText(DefinitionPath);

    public static CatalogDocument Document => CatalogDefinition.Parse(Json, DefinitionPath);

    public static JsonObject Node() => JsonNode.Parse(Json)!.AsObject();

    public static JsonObject Model(this JsonObject root, string id) =>
        root["models"]!.AsArray().Select(m => m!.AsObject()).Single(m => (string?)m["id"] == id);

    private static string FindDefinition()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "deploy", "catalog.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("deploy/catalog.json not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

using YamlDotNet.RepresentationModel;

namespace CCApi.Deploy.Tests.Infrastructure;

/// <summary>
/// YAML as plain data (string-keyed dictionaries, lists, strings), which keeps the tests free of mapping classes.
/// Anchors and aliases are resolved by YamlDotNet.
/// </summary>
public static class Yaml
{
    public static IReadOnlyList<Dictionary<string, object?>> LoadAll(string relativePath)
    {
        using var reader = new StringReader(Repo.Read(relativePath));
        var stream = new YamlStream();
        stream.Load(reader);
        return stream.Documents
            .Select(d => ToPlain(d.RootNode))
            .OfType<Dictionary<string, object?>>()
            .ToList();
    }

    public static Dictionary<string, object?> Load(string relativePath) => LoadAll(relativePath).Single();

    private static object? ToPlain(YamlNode node) => node switch
    {
        YamlMappingNode map => map.Children.ToDictionary(
            kv => ((YamlScalarNode)kv.Key).Value ?? "",
            kv => ToPlain(kv.Value),
            StringComparer.Ordinal),
        YamlSequenceNode seq => seq.Children.Select(ToPlain).ToList(),
        YamlScalarNode { Value: "~" or "null" or "" } scalar when scalar.Style == YamlDotNet.Core.ScalarStyle.Plain => null,
        YamlScalarNode scalar => scalar.Value,
        _ => null,
    };

    /// <summary>Walks a path of mapping keys; null when any step is missing.</summary>
    public static object? At(this object? node, params string[] path)
    {
        foreach (var key in path)
        {
            node = node is Dictionary<string, object?> map && map.TryGetValue(key, out var next) ? next : null;
        }

        return node;
    }

    public static Dictionary<string, object?>? Map(this object? node, params string[] path) => node.At(path) as Dictionary<string, object?>;

    public static IReadOnlyList<object?> List(this object? node, params string[] path) => node.At(path) as List<object?> ?? [];

    public static IEnumerable<Dictionary<string, object?>> Maps(this object? node, params string[] path) =>
        node.List(path).OfType<Dictionary<string, object?>>();

    public static string? Str(this object? node, params string[] path) => node.At(path) as string;

    public static int? Int(this object? node, params string[] path) =>
        int.TryParse(node.Str(path), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : null;
}

namespace CCApi.Deploy.Tests.Infrastructure;

/// <summary>docker-compose.yml at the repository root.</summary>
public static class Compose
{
    public const string RelativePath = "docker-compose.yml";

    public static Dictionary<string, object?> File { get; } = Yaml.Load(RelativePath);

    public static IReadOnlyDictionary<string, Dictionary<string, object?>> Services { get; } =
        File.Map("services")!.ToDictionary(kv => kv.Key, kv => (Dictionary<string, object?>)kv.Value!, StringComparer.Ordinal);

    /// <summary>Compose services built from deploy/Dockerfile, by the project their SERVICE argument names.</summary>
    public static IReadOnlyDictionary<string, string> BuiltProjects { get; } = Services
        .Where(s => s.Value.Str("build", "dockerfile") == Dockerfile.RelativePath)
        .ToDictionary(s => s.Key, s => s.Value.Str("build", "args", "SERVICE") ?? "", StringComparer.Ordinal);

    /// <summary>A service's environment, in either of compose's two spellings (map or KEY=value list).</summary>
    public static IReadOnlyDictionary<string, string> Environment(string service)
    {
        var env = Services[service].At("environment");
        return env switch
        {
            Dictionary<string, object?> map => map.ToDictionary(kv => kv.Key, kv => kv.Value as string ?? "", StringComparer.Ordinal),
            List<object?> list => list.OfType<string>().ToDictionary(l => l.Split('=', 2)[0], l => l.Split('=', 2).ElementAtOrDefault(1) ?? "", StringComparer.Ordinal),
            _ => new Dictionary<string, string>(),
        };
    }

    /// <summary>"40s", "1m30s", "500ms" as compose writes durations.</summary>
    public static TimeSpan Duration(string value)
    {
        var total = TimeSpan.Zero;
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(value, @"(\d+(?:\.\d+)?)(ms|h|m|s)"))
        {
            var n = double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            total += m.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                _ => TimeSpan.FromHours(n),
            };
        }

        return total;
    }
}

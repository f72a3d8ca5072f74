namespace CCApi.Testing;

/// <summary>One row of deploy/providers: a provider adapter and how it is configured (see the table's header).</summary>
public sealed record ProviderRow(string Project, string? KeyVariable, string? BaseUrlVariable, IReadOnlyList<string> Kinds, IReadOnlyList<string> Options)
{
    private const string ProjectPrefix = "CCApi.Adapters.";

    /// <summary>The part of the project name after CCApi.Adapters. ("OpenAI"): its configuration section and emulator's name.</summary>
    public string Section => Project[ProjectPrefix.Length..];

    /// <summary>The provider name ("openai"), as the catalog, the queues and the k8s objects spell it.</summary>
    public string Name => Section.ToLowerInvariant();

    /// <summary>True for an adapter that calls an upstream API with a key (every one but the local demo provider).</summary>
    public bool HasUpstream => KeyVariable is not null;

    public bool Has(string option) => Options.Any(o => o == option || o.StartsWith(option + "=", StringComparison.Ordinal));

    internal static ProviderRow Parse(string line)
    {
        var columns = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (columns.Length < 4 || !columns[0].StartsWith(ProjectPrefix, StringComparison.Ordinal))
        {
            throw new FormatException($"deploy/providers: '{line}' is not 'CCApi.Adapters.<Name> key base-url kinds [options]'.");
        }

        static string? Variable(string column) => column == "-" ? null : column;
        return new ProviderRow(columns[0], Variable(columns[1]), Variable(columns[2]), columns[3].Split(','), columns[4..]);
    }
}

/// <summary>
/// deploy/providers, the one list of provider adapters, as the tests read it — the same file run.sh, test.sh and
/// scripts/generate-deploy.sh read, so a provider added there is started and tested without editing a test fixture.
/// </summary>
public static class ProviderTable
{
    public const string RelativePath = "deploy/providers";

    public static IReadOnlyList<ProviderRow> Load(string repoRoot) => File.ReadLines(Path.Combine(repoRoot, RelativePath))
        .Select(line => line.Trim())
        .Where(line => line.Length > 0 && !line.StartsWith('#'))
        .Select(ProviderRow.Parse)
        .ToList();
}

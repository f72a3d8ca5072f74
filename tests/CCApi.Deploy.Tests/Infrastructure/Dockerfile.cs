using System.Text.RegularExpressions;

namespace CCApi.Deploy.Tests.Infrastructure;

/// <summary>One instruction of a Dockerfile, continuation lines joined.</summary>
public sealed record Instruction(string Keyword, string Arguments)
{
    public override string ToString() => $"{Keyword} {Arguments}";
}

/// <summary>A build stage: FROM image [AS name] and its instructions.</summary>
public sealed record Stage(string From, string? Name, IReadOnlyList<Instruction> Instructions)
{
    public IEnumerable<Instruction> All(string keyword) => Instructions.Where(i => i.Keyword == keyword);
}

/// <summary>deploy/Dockerfile, parsed just enough to check it against the repository.</summary>
public sealed partial class Dockerfile
{
    public const string RelativePath = "deploy/Dockerfile";

    private Dockerfile(IReadOnlyList<Instruction> global, IReadOnlyList<Stage> stages)
    {
        GlobalArgs = global.Where(i => i.Keyword == "ARG")
            .Select(i => i.Arguments.Split('=', 2))
            .ToDictionary(p => p[0].Trim(), p => p.ElementAtOrDefault(1)?.Trim(), StringComparer.Ordinal);
        Stages = stages;
    }

    public static Dockerfile Instance { get; } = Parse(Repo.Read(RelativePath));

    /// <summary>ARGs declared before the first FROM, with their defaults.</summary>
    public IReadOnlyDictionary<string, string?> GlobalArgs { get; }

    public IReadOnlyList<Stage> Stages { get; }

    public Stage Stage(string name) => Stages.Single(s => s.Name == name);

    /// <summary>The last stage, the image that is shipped.</summary>
    public Stage Final => Stages[^1];

    /// <summary>The stages a build with this RUNTIME argument ships: the final one and the runtime chain under it.</summary>
    public IReadOnlyList<Stage> RuntimeChain(string runtime)
    {
        var chain = new List<Stage>();
        var from = Final.From.Replace("${RUNTIME}", runtime, StringComparison.Ordinal);
        chain.Add(Final);
        while (Stages.FirstOrDefault(s => s.Name == from) is { } parent)
        {
            chain.Add(parent);
            from = parent.From;
        }

        return chain;
    }

    /// <summary>Sources of a COPY without --from (paths in the build context), with flags removed.</summary>
    public static IReadOnlyList<string> ContextSources(Instruction copy)
    {
        var parts = SplitArguments(copy.Arguments);
        if (parts.Any(p => p.StartsWith("--from=", StringComparison.Ordinal)))
        {
            return [];
        }

        var paths = parts.Where(p => !p.StartsWith("--", StringComparison.Ordinal)).ToList();
        return paths.Take(paths.Count - 1).ToList();
    }

    public static IReadOnlyList<string> SplitArguments(string arguments) =>
        arguments.StartsWith('[')
            ? JsonArrayRegex().Matches(arguments).Select(m => m.Groups[1].Value).ToList()
            : arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static Dockerfile Parse(string text)
    {
        var instructions = new List<Instruction>();
        var current = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (current.Length == 0 && (line.TrimStart().StartsWith('#') || string.IsNullOrWhiteSpace(line)))
            {
                continue;
            }

            if (current.Length > 0 && line.TrimStart().StartsWith('#'))
            {
                continue; // comment lines inside a continued instruction
            }

            if (line.EndsWith('\\'))
            {
                current += line[..^1] + " ";
                continue;
            }

            current += line;
            var trimmed = current.Trim();
            var space = trimmed.IndexOf(' ', StringComparison.Ordinal);
            instructions.Add(new Instruction(trimmed[..space].ToUpperInvariant(), Regex.Replace(trimmed[(space + 1)..], @"\s+", " ").Trim()));
            current = "";
        }

        var global = instructions.TakeWhile(i => i.Keyword != "FROM").ToList();
        var stages = new List<Stage>();
        foreach (var instruction in instructions.Skip(global.Count))
        {
            if (instruction.Keyword == "FROM")
            {
                var m = FromRegex().Match(instruction.Arguments);
                stages.Add(new Stage(m.Groups["image"].Value, m.Groups["name"].Success ? m.Groups["name"].Value : null, []));
            }
            else
            {
                var last = stages[^1];
                stages[^1] = last with { Instructions = [.. last.Instructions, instruction] };
            }
        }

        return new Dockerfile(global, stages);
    }

    [GeneratedRegex(@"^(?:--\S+\s+)*(?<image>\S+)(?:\s+AS\s+(?<name>\S+))?$", RegexOptions.IgnoreCase)]
    private static partial Regex FromRegex();

    [GeneratedRegex("\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex JsonArrayRegex();
}

/// <summary>.dockerignore patterns (the subset Docker's syntax this repository uses: *, ** and plain paths).</summary>
public static class DockerIgnore
{
    private static readonly IReadOnlyList<Regex> Patterns = File.Exists(Repo.PathOf(".dockerignore"))
        ? Repo.Read(".dockerignore").Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith('!'))
            .Select(ToRegex)
            .ToList()
        : [];

    /// <summary>True when the path, or a folder above it, is excluded from the build context.</summary>
    public static bool Excludes(string relativePath)
    {
        var segments = relativePath.Trim('/').Split('/');
        for (var n = 1; n <= segments.Length; n++)
        {
            var prefix = string.Join('/', segments.Take(n));
            if (Patterns.Any(p => p.IsMatch(prefix)))
            {
                return true;
            }
        }

        return false;
    }

    private static Regex ToRegex(string pattern)
    {
        var escaped = Regex.Escape(pattern.Trim('/'))
            .Replace(@"\*\*/", "(?:.*/)?", StringComparison.Ordinal)
            .Replace(@"\*\*", ".*", StringComparison.Ordinal)
            .Replace(@"\*", "[^/]*", StringComparison.Ordinal)
            .Replace(@"\?", "[^/]", StringComparison.Ordinal);
        return new Regex($"^{escaped}$", RegexOptions.CultureInvariant);
    }
}

/// <summary>Path globs as Docker's COPY understands them (* within one segment).</summary>
public static class Glob
{
    public static bool Matches(string glob, string path) =>
        Regex.IsMatch(path, "^" + Regex.Escape(glob).Replace(@"\*", "[^/]*", StringComparison.Ordinal).Replace(@"\?", "[^/]", StringComparison.Ordinal) + "$");
}

namespace CCApi.Gateway.Accounts;

/// <summary>
/// A key's <c>models</c>: exact ids ("local/echo-1") and globs with one trailing '*' ("openai/*", "openai/gpt-4o*", "*").
/// Matching ignores case, as model lookups do.
/// </summary>
public sealed class ModelAllowList
{
    public const int MaxPatterns = 100;
    public const int MaxPatternLength = 200;

    private readonly string[] _exact;
    private readonly string[] _prefixes;
    private readonly bool _all;

    private ModelAllowList(IReadOnlyList<string> patterns)
    {
        Patterns = patterns;
        _all = patterns.Contains("*");
        _exact = patterns.Where(p => !p.EndsWith('*')).ToArray();
        _prefixes = patterns.Where(p => p.EndsWith('*') && p != "*").Select(p => p[..^1]).ToArray();
    }

    public IReadOnlyList<string> Patterns { get; }

    /// <summary>The list, or null with the reason when a pattern is not a valid model glob.</summary>
    public static ModelAllowList? TryCreate(IReadOnlyList<string> patterns, out string? error)
    {
        foreach (var pattern in patterns)
        {
            error = Check(pattern);
            if (error is not null)
            {
                return null;
            }
        }

        error = null;
        return new ModelAllowList(patterns);
    }

    /// <summary>Stored lists were checked when written; a list that no longer parses allows nothing rather than everything.</summary>
    public static ModelAllowList FromStored(IReadOnlyList<string> patterns) =>
        TryCreate(patterns, out _) ?? new ModelAllowList([]);

    public bool Allows(string modelId)
    {
        if (_all)
        {
            return true;
        }

        foreach (var exact in _exact)
        {
            if (string.Equals(exact, modelId, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        foreach (var prefix in _prefixes)
        {
            if (modelId.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Why <paramref name="pattern"/> is not "*" or "provider/model" with at most one '*', at the end; null when it is.</summary>
    public static string? Check(string pattern)
    {
        if (pattern.Length == 0 || pattern.Length > MaxPatternLength)
        {
            return $"a pattern must have 1 to {MaxPatternLength} characters";
        }

        if (pattern == "*")
        {
            return null;
        }

        if (pattern.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return "a pattern cannot contain spaces or control characters";
        }

        var slash = pattern.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == pattern.Length - 1)
        {
            return "a pattern is \"provider/model\", \"provider/*\" or \"*\"";
        }

        if (pattern.AsSpan(0, slash).ContainsAnyExcept(ProviderCharacters))
        {
            return "the provider part of a pattern may only hold letters, digits, '.', '_' and '-'";
        }

        var star = pattern.IndexOf('*', StringComparison.Ordinal);
        if (star >= 0 && star != pattern.Length - 1)
        {
            return "'*' may only end a pattern (\"openai/*\", \"openai/gpt-4o*\")";
        }

        return null;
    }

    private static readonly System.Buffers.SearchValues<char> ProviderCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
}

using System.Globalization;
using CCApi.Contracts;
using CCApi.ServiceDefaults;

namespace CCApi.Catalog;

/// <summary>
/// The query of GET /models (spec 2.6): filters, sort and page. Parsed from the raw strings so that every bad value is a
/// 400 naming its parameter, never a binding failure. <c>capability</c> and <c>modality</c> take one value or a
/// comma-separated list, every one of which a model must have; <c>allowed_models</c> is the gateway's (the caller's key
/// allow-list: exact ids and globs with one trailing '*'), never a client's.
/// </summary>
public sealed record ModelQuery(string? Provider, string? Type, string Sort, bool Descending, int Limit, int Offset)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static readonly IReadOnlyList<string> SortFields = ["id", "created", "provider", "display_name"];

    /// <summary>The boolean capabilities a model can be filtered on (<c>ccapi.capabilities.*</c>).</summary>
    public static readonly IReadOnlyList<string> Capabilities = ["streaming", "function_calling", "logprobs", "structured_outputs"];

    /// <summary>The modalities a model can be filtered on: it has the modality as input or as output.</summary>
    public static readonly IReadOnlyList<string> Modalities = ["text", "image", "audio"];

    /// <summary>Capabilities every listed model must have; empty = no filter.</summary>
    public IReadOnlyList<string> Capability { get; init; } = [];

    /// <summary>Modalities (input or output) every listed model must have; empty = no filter.</summary>
    public IReadOnlyList<string> Modality { get; init; } = [];

    /// <summary>The caller's allow-list (exact ids, "provider/*"-style prefixes, "*"); null = every model.</summary>
    public IReadOnlyList<string>? AllowedModels { get; init; }

    public static ModelQuery Parse(
        string? provider, string? type, string? sort, string? order, string? limit, string? offset,
        string? capability, string? modality, string? allowedModels) =>
        Parse(provider, type, sort, order, limit, offset) with
        {
            Capability = ParseList(capability, "capability", Capabilities),
            Modality = ParseList(modality, "modality", Modalities),
            AllowedModels = ParseAllowed(allowedModels),
        };

    public static ModelQuery Parse(string? provider, string? type, string? sort, string? order, string? limit, string? offset)
    {
        type = Blank(type)?.ToLowerInvariant();
        if (type is not null && !CatalogDefinition.ModelTypes.Contains(type))
        {
            throw ApiException.BadField("type", $"'type' must be one of {string.Join(", ", CatalogDefinition.ModelTypes)}.");
        }

        sort = Blank(sort)?.ToLowerInvariant() ?? "id";
        if (!SortFields.Contains(sort))
        {
            throw ApiException.BadField("sort", $"'sort' must be one of {string.Join(", ", SortFields)}.");
        }

        var descending = Blank(order)?.ToLowerInvariant() switch
        {
            null or "asc" => false,
            "desc" => true,
            _ => throw ApiException.BadField("order", "'order' must be 'asc' or 'desc'."),
        };

        return new ModelQuery(Blank(provider), type, sort, descending,
            ParseInt(limit, "limit", DefaultLimit, 1, MaxLimit),
            ParseInt(offset, "offset", 0, 0, int.MaxValue));
    }

    public IReadOnlyList<ModelSummary> Apply(IEnumerable<ModelSummary> models) => Page(models).Data;

    /// <summary>The page of matching models, and whether more match beyond it.</summary>
    public ModelListResponse Page(IEnumerable<ModelSummary> models)
    {
        var filtered = models
            .Where(m => Provider is null || string.Equals(m.Provider.Name, Provider, StringComparison.OrdinalIgnoreCase))
            .Where(m => Type is null || m.Ccapi.Type == Type)
            .Where(m => Capability.All(c => HasCapability(m.Ccapi.Capabilities, c)))
            .Where(m => Modality.All(x => m.Ccapi.InputModalities.Contains(x) || m.Ccapi.OutputModalities.Contains(x)))
            .Where(m => AllowedModels is null || IsAllowed(AllowedModels, m.Id));

        // Ties are broken by id, always ascending, so that pages are stable.
        IOrderedEnumerable<ModelSummary> sorted = Sort switch
        {
            "created" => Descending ? filtered.OrderByDescending(m => m.Created) : filtered.OrderBy(m => m.Created),
            "provider" => Descending
                ? filtered.OrderByDescending(m => m.Provider.Name, StringComparer.Ordinal)
                : filtered.OrderBy(m => m.Provider.Name, StringComparer.Ordinal),
            "display_name" => Descending
                ? filtered.OrderByDescending(m => m.Ccapi.DisplayName, StringComparer.OrdinalIgnoreCase)
                : filtered.OrderBy(m => m.Ccapi.DisplayName, StringComparer.OrdinalIgnoreCase),
            _ => Descending ? filtered.OrderByDescending(m => m.Id, StringComparer.Ordinal) : filtered.OrderBy(m => m.Id, StringComparer.Ordinal),
        };

        var matching = sorted.ThenBy(m => m.Id, StringComparer.Ordinal).Skip(Offset).Take(Limit + 1).ToList();
        var hasMore = matching.Count > Limit;
        return new ModelListResponse(hasMore ? matching[..Limit] : matching) { HasMore = hasMore };
    }

    /// <summary>The gateway's <c>allowed_models</c> (comma-separated patterns); null when it is absent.</summary>
    public static IReadOnlyList<string>? ParseAllowed(string? allowedModels) =>
        allowedModels?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Whether an allow-list (exact ids, globs with one trailing '*', "*"; case ignored) admits <paramref name="id"/>.</summary>
    public static bool IsAllowed(IReadOnlyList<string> patterns, string id) => patterns.Any(p =>
        p == "*" || (p.EndsWith('*') ? id.StartsWith(p[..^1], StringComparison.OrdinalIgnoreCase) : string.Equals(p, id, StringComparison.OrdinalIgnoreCase)));

    private static bool HasCapability(ModelCapabilities capabilities, string name) => name switch
    {
        "streaming" => capabilities.Streaming,
        "function_calling" => capabilities.FunctionCalling,
        "logprobs" => capabilities.Logprobs == true,
        "structured_outputs" => capabilities.ResponseFormats?.Contains("json_schema") == true, // a model that does not say is not listed
        _ => false,
    };

    private static IReadOnlyList<string> ParseList(string? raw, string name, IReadOnlyList<string> known)
    {
        if (Blank(raw) is not { } text)
        {
            return [];
        }

        var values = text.ToLowerInvariant().Split(',', StringSplitOptions.TrimEntries);
        foreach (var value in values)
        {
            if (!known.Contains(value))
            {
                throw ApiException.BadField(name, $"'{name}' must be one of {string.Join(", ", known)} (or a comma-separated list of them).");
            }
        }

        return values.Distinct().ToList();
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static int ParseInt(string? raw, string name, int fallback, int min, int max)
    {
        if (Blank(raw) is not { } text)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            var range = $"a whole number from {min} to {max.ToString(CultureInfo.InvariantCulture)}";
            throw ApiException.BadField(name, $"'{name}' must be {range}.");
        }

        return value;
    }
}

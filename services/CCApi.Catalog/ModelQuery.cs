using System.Globalization;
using CCApi.ServiceDefaults;

namespace CCApi.Catalog;

/// <summary>
/// The query of GET /models (spec 2.6): filters, sort and page. Parsed from the raw strings so that every bad value is a
/// 400 naming its parameter, never a binding failure.
/// </summary>
public sealed record ModelQuery(string? Provider, string? Type, string Sort, bool Descending, int Limit, int Offset)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static readonly IReadOnlyList<string> SortFields = ["id", "created", "provider", "display_name"];

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

    public IReadOnlyList<ModelSummary> Apply(IEnumerable<ModelSummary> models)
    {
        var filtered = models
            .Where(m => Provider is null || string.Equals(m.Provider.Name, Provider, StringComparison.OrdinalIgnoreCase))
            .Where(m => Type is null || m.Ccapi.Type == Type);

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

        return sorted.ThenBy(m => m.Id, StringComparer.Ordinal).Skip(Offset).Take(Limit).ToList();
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
            var range = max == int.MaxValue ? $"an integer of at least {min}" : $"an integer between {min} and {max}";
            throw ApiException.BadField(name, $"'{name}' must be {range}.");
        }

        return value;
    }
}

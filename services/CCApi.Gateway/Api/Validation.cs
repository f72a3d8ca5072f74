using System.Globalization;
using CCApi.Outbound;

namespace CCApi.Gateway.Api;

/// <summary>Small checks that all answer 400 naming the field.</summary>
public static class Validation
{
    /// <summary>A value of the wrong JSON type in a union field (validated by hand, so not caught by the serializer).</summary>
    public static ApiException WrongType(string field, string expected) =>
        ApiException.BadField(field, $"Invalid JSON at '{field}': expected {expected}.", ErrorCodes.InvalidJson);

    public static void Range(double? value, double min, double max, string field)
    {
        if (value is { } v && (double.IsNaN(v) || v < min || v > max))
        {
            throw ApiException.BadField(field, $"'{field}' must be between {Format(min)} and {Format(max)}, got {Format(v)}.");
        }
    }

    public static void Range(long? value, long min, long max, string field)
    {
        if (value is { } v && (v < min || v > max))
        {
            throw ApiException.BadField(field, $"'{field}' must be between {min} and {max}, got {v}.");
        }
    }

    public static void OneOf(string? value, string field, params string[] allowed)
    {
        if (value is not null && Array.IndexOf(allowed, value) < 0)
        {
            throw ApiException.BadField(field, $"'{field}' must be one of {string.Join(", ", allowed)}; got '{Truncate(value)}'.");
        }
    }

    public static string Required(string? value, string field)
    {
        if (value is null)
        {
            throw ApiException.Missing(field);
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            throw ApiException.BadField(field, $"'{field}' must not be empty.");
        }

        return value;
    }

    public static void MaxLength(string? value, int max, string field)
    {
        if (value is not null && value.Length > max)
        {
            throw ApiException.BadField(field, $"'{field}' is longer than {max} characters ({value.Length}).");
        }
    }

    public static void Url(string? value, string field)
    {
        if (value is not null && OutboundUrlGuard.ValidateSyntax(value) is { } problem)
        {
            throw ApiException.BadField(field, $"'{field}' {problem}.");
        }
    }

    /// <summary>At most <paramref name="max"/> characters of <paramref name="value"/> and an ellipsis, never half a surrogate pair.</summary>
    public static string Truncate(string value, int max = 64)
    {
        if (value.Length <= max)
        {
            return value;
        }

        var end = max > 0 && char.IsHighSurrogate(value[max - 1]) ? max - 1 : max;
        return value[..end] + "…";
    }

    private static string Format(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}

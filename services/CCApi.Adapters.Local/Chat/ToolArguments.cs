using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CCApi.Adapters.Local.Chat;

/// <summary>
/// Builds a tool call's arguments from the tool's JSON Schema and the user's words, deterministically: every required
/// property gets a value of its type (default, then enum/const, then a value read from the message near the property's
/// name, then a sensible placeholder); optional properties are filled only when the message names them with a value.
/// Simple on purpose — enough for agents and SDKs to exercise their tool loop against a real-looking call.
/// </summary>
public static partial class ToolArguments
{
    private const int MaxDepth = 8;

    /// <summary>Most values one call may build, so a hostile schema (deeply nested arrays with large minItems) stays cheap.</summary>
    private const int MaxValues = 256;

    private const int MaxArrayItems = 3;

    private static readonly string[] LocationNames = ["city", "location", "place", "town", "country", "region", "address", "destination", "origin", "area"];
    private static readonly string[] TextNames = ["query", "q", "text", "prompt", "message", "question", "input", "search", "content", "body", "topic"];
    private static readonly HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "the", "a", "an", "is", "to", "of", "for", "in", "at", "on", "be", "please", "and", "or", "with", "me", "my", "it", "this", "that", "what",
    };

    /// <summary>Arguments as a compact JSON object string (the OpenAI wire form).</summary>
    public static string Build(string? parametersJson, string userMessage)
    {
        if (string.IsNullOrWhiteSpace(parametersJson))
        {
            return "{}";
        }

        using var doc = JsonDocument.Parse(parametersJson);
        var root = doc.RootElement;
        JsonNode? value;
        try
        {
            value = ValueFor(root, root, name: "", userMessage, required: true, depth: 0, new Budget());
        }
        catch (RegexMatchTimeoutException)
        {
            // a pathological message: build from the schema alone
            value = ValueFor(root, root, name: "", message: "", required: true, depth: 0, new Budget());
        }

        return (value as JsonObject ?? []).ToJsonString();
    }

    private sealed class Budget
    {
        public int Remaining = MaxValues;
    }

    private static JsonNode? ValueFor(JsonElement schema, JsonElement root, string name, string message, bool required, int depth, Budget budget)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return required ? JsonValue.Create("example") : null;
        }

        if (depth > MaxDepth || --budget.Remaining < 0)
        {
            return required ? Minimal(schema) : null;
        }

        if (Str(schema, "$ref") is { } reference && Resolve(root, reference) is { } target)
        {
            return ValueFor(target, root, name, message, required, depth + 1, budget);
        }

        foreach (var combinator in (string[])["anyOf", "oneOf", "allOf"])
        {
            if (schema.TryGetProperty(combinator, out var options) && options.ValueKind == JsonValueKind.Array)
            {
                var first = options.EnumerateArray().FirstOrDefault(o => TypeOf(o) != "null");
                if (first.ValueKind == JsonValueKind.Object)
                {
                    return ValueFor(first, root, name, message, required, depth + 1, budget);
                }
            }
        }

        if (schema.TryGetProperty("default", out var dflt))
        {
            return JsonNode.Parse(dflt.GetRawText());
        }

        if (schema.TryGetProperty("const", out var constant))
        {
            return JsonNode.Parse(constant.GetRawText());
        }

        if (schema.TryGetProperty("enum", out var enumeration) && enumeration.ValueKind == JsonValueKind.Array)
        {
            var values = enumeration.EnumerateArray().ToList();
            var mentioned = values.FirstOrDefault(v => v.ValueKind == JsonValueKind.String && ContainsWord(message, v.GetString()!));
            var chosen = mentioned.ValueKind != JsonValueKind.Undefined ? mentioned : values.FirstOrDefault();
            return chosen.ValueKind == JsonValueKind.Undefined ? null : JsonNode.Parse(chosen.GetRawText());
        }

        return TypeOf(schema) switch
        {
            "object" => ObjectFor(schema, root, message, depth, budget),
            "array" => ArrayFor(schema, root, name, message, required, depth, budget),
            "integer" => NumberFor(schema, name, message, integer: true, required),
            "number" => NumberFor(schema, name, message, integer: false, required),
            "boolean" => required ? JsonValue.Create(false) : null,
            "null" => null,
            _ => StringFor(schema, name, message, required),
        };
    }

    private static JsonObject ObjectFor(JsonElement schema, JsonElement root, string message, int depth, Budget budget)
    {
        var result = new JsonObject();
        if (!schema.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
        {
            return result;
        }

        var required = schema.TryGetProperty("required", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToHashSet(StringComparer.Ordinal)
            : [];
        foreach (var property in properties.EnumerateObject())
        {
            var isRequired = required.Contains(property.Name);
            if (!isRequired && !ContainsWord(message, Words(property.Name)))
            {
                continue;
            }

            var value = ValueFor(property.Value, root, property.Name, message, isRequired, depth + 1, budget);
            if (value is not null || isRequired)
            {
                result[property.Name] = value;
            }
        }

        return result;
    }

    private static JsonArray? ArrayFor(JsonElement schema, JsonElement root, string name, string message, bool required, int depth, Budget budget)
    {
        var items = schema.TryGetProperty("items", out var itemSchema) ? itemSchema : default;
        var minItems = Num(schema, "minItems") is { } m ? (int)Math.Clamp(m, 0, MaxArrayItems) : (required ? 1 : 0);
        var array = new JsonArray();
        for (var i = 0; i < minItems; i++)
        {
            array.Add(items.ValueKind == JsonValueKind.Object ? ValueFor(items, root, name, message, required: true, depth + 1, budget) : JsonValue.Create("example"));
        }

        return required || array.Count > 0 ? array : null;
    }

    private static JsonValue? NumberFor(JsonElement schema, string name, string message, bool integer, bool required)
    {
        var minimum = Num(schema, "minimum");
        var maximum = Num(schema, "maximum");
        var found = NumberNear(message, name);
        if (found is null && !required)
        {
            return null;
        }

        var value = found ?? minimum ?? Math.Min(1, maximum ?? 1);
        if (minimum is { } lo && value < lo)
        {
            value = lo;
        }

        if (maximum is { } hi && value > hi)
        {
            value = hi;
        }

        // An integer beyond long's range (a finite double as large as 1e308) saturates rather than wraps.
        return integer ? JsonValue.Create((long)Math.Clamp(Math.Round(value), long.MinValue, long.MaxValue)) : JsonValue.Create(value);
    }

    private static JsonValue? StringFor(JsonElement schema, string name, string message, bool required)
    {
        var format = Str(schema, "format");
        var fromFormat = format switch
        {
            "date" => DateRegex().Match(message) is { Success: true } d ? d.Value : "2025-01-01",
            "date-time" => DateTimeRegex().Match(message) is { Success: true } dt ? dt.Value : "2025-01-01T00:00:00Z",
            "email" => EmailRegex().Match(message) is { Success: true } e ? e.Value : "user@example.com",
            "uri" or "url" => UrlRegex().Match(message) is { Success: true } u ? u.Value : "https://example.com",
            "uuid" => "00000000-0000-0000-0000-000000000000",
            _ => null,
        };
        if (fromFormat is not null)
        {
            return JsonValue.Create(fromFormat);
        }

        var value = TextNear(message, name)
            ?? (IsOneOf(name, LocationNames) ? PlaceIn(message) : null)
            ?? (IsOneOf(name, TextNames) ? message.Trim() : null);
        if (value is null && required)
        {
            value = QuotedRegex().Match(message) is { Success: true } q ? q.Groups[1].Value : "example";
        }

        if (value is not null && Num(schema, "maxLength") is { } maxLength && value.Length > maxLength)
        {
            value = value[..(int)Math.Max(0, maxLength)];
        }

        return value is null ? null : JsonValue.Create(value);
    }

    /// <summary>"city is Paris", "city: Paris", "city = 'New York'", "the city Paris" → the value after the property's name.</summary>
    private static string? TextNear(string message, string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }

        var match = Regex.Match(message,
            $@"\b{Regex.Escape(Words(name))}\b\s*(?:is|are|=|:|of|named|called|as|to)?\s*(?:""(?<q>[^""]+)""|'(?<q>[^']+)'|(?<w>[\p{{L}}\p{{N}}][\p{{L}}\p{{N}}\-_.@/]*(?:\s+\p{{Lu}}[\p{{L}}\p{{N}}\-]*)*))",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        if (!match.Success)
        {
            return null;
        }

        if (match.Groups["q"].Success)
        {
            return match.Groups["q"].Value;
        }

        var word = match.Groups["w"].Value.TrimEnd('.');
        return StopWords.Contains(word) ? null : word;
    }

    /// <summary>"weather in Paris", "flights to New York" → the capitalised words after a preposition of place.</summary>
    private static string? PlaceIn(string message)
    {
        var match = PlaceRegex().Match(message);
        return match.Success ? match.Groups[1].Value : null;
    }

    private static double? NumberNear(string message, string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }

        var words = Regex.Escape(Words(name));
        var after = Regex.Match(message, $@"\b{words}\b\D{{0,12}}?(-?\d+(?:\.\d+)?)", RegexOptions.IgnoreCase, TimeSpan.FromMilliseconds(100));
        // Only when no number follows the name; a number starts where a run of digits starts (not at every digit inside it,
        // which made a long run quadratic to try, and a prompt of them ran into the timeout: no value read at all).
        var match = after.Success ? after
            : Regex.Match(message, $@"(?<![\d.])(-?\d+(?:\.\d+)?)\s*{words}", RegexOptions.IgnoreCase, TimeSpan.FromMilliseconds(100));
        // A number too large for a double parses as infinity, which JSON cannot carry: read as no number at all.
        return match.Success && double.TryParse(match.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            && double.IsFinite(value) ? value : null;
    }

    private static string TypeOf(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return "string";
        }

        if (schema.TryGetProperty("type", out var type))
        {
            if (type.ValueKind == JsonValueKind.String)
            {
                return type.GetString()!;
            }

            if (type.ValueKind == JsonValueKind.Array)
            {
                return type.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()).FirstOrDefault(t => t is not "null") ?? "null";
            }
        }

        return schema.TryGetProperty("properties", out _) ? "object" : schema.TryGetProperty("items", out _) ? "array" : "string";
    }

    /// <summary>The smallest value of the schema's type, without looking deeper (for when the depth or size budget is spent).</summary>
    private static JsonNode Minimal(JsonElement schema) => TypeOf(schema) switch
    {
        "object" => new JsonObject(),
        "array" => new JsonArray(),
        "integer" => JsonValue.Create((long)Math.Ceiling(Num(schema, "minimum") ?? 0)),
        "number" => JsonValue.Create(Num(schema, "minimum") ?? 0),
        "boolean" => JsonValue.Create(false),
        _ => JsonValue.Create("example"),
    };

    /// <summary>A schema keyword's number, or null when absent or not a number (schemas come from clients: never trust their shape).</summary>
    private static double? Num(JsonElement schema, string keyword) =>
        schema.TryGetProperty(keyword, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && double.IsFinite(number) ? number : null;

    private static string? Str(JsonElement schema, string keyword) =>
        schema.TryGetProperty(keyword, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static JsonElement? Resolve(JsonElement root, string? reference)
    {
        if (reference is null || !reference.StartsWith("#/", StringComparison.Ordinal))
        {
            return null;
        }

        var current = root;
        foreach (var part in reference[2..].Split('/'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part.Replace("~1", "/").Replace("~0", "~"), out current))
            {
                return null;
            }
        }

        return current;
    }

    /// <summary>"cityName" / "city_name" / "city-name" → "city name", how people write it.</summary>
    public static string Words(string name) =>
        CamelRegex().Replace(name, "$1 $2").Replace('_', ' ').Replace('-', ' ').Trim().ToLowerInvariant();

    private static bool IsOneOf(string name, string[] candidates)
    {
        var words = Words(name).Split(' ');
        return words.Any(w => candidates.Contains(w, StringComparer.Ordinal));
    }

    public static bool ContainsWord(string text, string phrase) =>
        phrase.Length > 0 && Regex.IsMatch(text, $@"(?<![\p{{L}}\p{{N}}]){Regex.Escape(phrase)}(?![\p{{L}}\p{{N}}])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));

    [GeneratedRegex(@"([a-z0-9])([A-Z])")]
    private static partial Regex CamelRegex();

    [GeneratedRegex(@"\b(?:in|at|for|near|from|to|of)\s+((?:\p{Lu}[\p{L}\-']*)(?:\s+\p{Lu}[\p{L}\-']*)*)")]
    private static partial Regex PlaceRegex();

    [GeneratedRegex(@"""([^""]+)""")]
    private static partial Regex QuotedRegex();

    [GeneratedRegex(@"\b\d{4}-\d{2}-\d{2}\b")]
    private static partial Regex DateRegex();

    [GeneratedRegex(@"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})?")]
    private static partial Regex DateTimeRegex();

    [GeneratedRegex(@"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")]
    private static partial Regex EmailRegex();

    [GeneratedRegex(@"https?://[^\s""'<>]+")]
    private static partial Regex UrlRegex();
}

using System.Text.Json;

namespace CCApi.Adapters.Local.Tests.Support;

/// <summary>Just enough JSON Schema checking for the tests: required properties present, types and enums respected, bounds kept.</summary>
public static class SchemaCheck
{
    public static IReadOnlyList<string> Problems(string schemaJson, string argumentsJson)
    {
        using var schema = JsonDocument.Parse(schemaJson);
        using var args = JsonDocument.Parse(argumentsJson);
        var problems = new List<string>();
        Check(schema.RootElement, args.RootElement, "$", problems);
        return problems;
    }

    private static void Check(JsonElement schema, JsonElement value, string path, List<string> problems)
    {
        if (schema.TryGetProperty("enum", out var enumeration) && !enumeration.EnumerateArray().Any(e => e.GetRawText() == value.GetRawText()))
        {
            problems.Add($"{path}: {value.GetRawText()} not in enum");
        }

        var type = !schema.TryGetProperty("type", out var t) ? null
            : t.ValueKind == JsonValueKind.Array ? (value.ValueKind == JsonValueKind.Null ? null : t.EnumerateArray().Select(e => e.GetString()).First(e => e != "null"))
            : t.GetString();
        var ok = type switch
        {
            "object" => value.ValueKind == JsonValueKind.Object,
            "array" => value.ValueKind == JsonValueKind.Array,
            "string" => value.ValueKind == JsonValueKind.String,
            "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
            "number" => value.ValueKind == JsonValueKind.Number,
            "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            _ => true,
        };
        if (!ok)
        {
            problems.Add($"{path}: expected {type}, got {value.ValueKind}");
            return;
        }

        if (value.ValueKind == JsonValueKind.Number)
        {
            var number = value.GetDouble();
            if (schema.TryGetProperty("minimum", out var min) && number < min.GetDouble())
            {
                problems.Add($"{path}: below minimum");
            }

            if (schema.TryGetProperty("maximum", out var max) && number > max.GetDouble())
            {
                problems.Add($"{path}: above maximum");
            }
        }

        if (type == "object")
        {
            foreach (var required in schema.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(e => e.GetString()!) : [])
            {
                if (!value.TryGetProperty(required, out _))
                {
                    problems.Add($"{path}.{required}: required but missing");
                }
            }

            if (schema.TryGetProperty("properties", out var properties))
            {
                foreach (var property in value.EnumerateObject())
                {
                    if (properties.TryGetProperty(property.Name, out var propertySchema))
                    {
                        Check(propertySchema, property.Value, $"{path}.{property.Name}", problems);
                    }
                }
            }
        }

        if (type == "array" && schema.TryGetProperty("items", out var items))
        {
            var i = 0;
            foreach (var item in value.EnumerateArray())
            {
                Check(items, item, $"{path}[{i++}]", problems);
            }

            if (schema.TryGetProperty("minItems", out var minItems) && value.GetArrayLength() < minItems.GetInt32())
            {
                problems.Add($"{path}: fewer than minItems");
            }
        }
    }
}

using System.Text.Json;
using CCApi.Adapters.Local.Chat;
using CCApi.Adapters.Local.Tests.Support;

namespace CCApi.Adapters.Local.Tests.Unit;

public class ToolArgumentsTests
{
    [Fact]
    public void Fills_every_required_property_with_a_value_of_its_type()
    {
        const string schema = """
            {
              "type": "object",
              "properties": {
                "name": { "type": "string" },
                "count": { "type": "integer", "minimum": 5 },
                "ratio": { "type": "number", "maximum": 0.5 },
                "enabled": { "type": "boolean" },
                "tags": { "type": "array", "items": { "type": "string" }, "minItems": 2 },
                "when": { "type": "string", "format": "date" },
                "owner": {
                  "type": "object",
                  "properties": { "email": { "type": "string", "format": "email" } },
                  "required": ["email"]
                },
                "level": { "type": ["string", "null"], "enum": ["low", "high"] },
                "optional": { "type": "string" }
              },
              "required": ["name", "count", "ratio", "enabled", "tags", "when", "owner", "level"]
            }
            """;

        var arguments = ToolArguments.Build(schema, "nothing useful here");

        SchemaCheck.Problems(schema, arguments).ShouldBeEmpty();
        using var doc = JsonDocument.Parse(arguments);
        doc.RootElement.TryGetProperty("optional", out _).ShouldBeFalse();
        doc.RootElement.GetProperty("count").GetInt32().ShouldBe(5);
        doc.RootElement.GetProperty("tags").GetArrayLength().ShouldBe(2);
    }

    [Fact]
    public void Takes_values_from_the_message_near_the_property_name()
    {
        const string schema = """
            {"type":"object","properties":{"title":{"type":"string"},"priority":{"type":"integer"},"assignee":{"type":"string"}},"required":["title","priority"]}
            """;

        var arguments = ToolArguments.Build(schema, "Create a ticket with title \"Fix login\" and priority 2, assignee is Alice");

        using var doc = JsonDocument.Parse(arguments);
        doc.RootElement.GetProperty("title").GetString().ShouldBe("Fix login");
        doc.RootElement.GetProperty("priority").GetInt32().ShouldBe(2);
        doc.RootElement.GetProperty("assignee").GetString().ShouldBe("Alice"); // optional, but named with a value
    }

    [Fact]
    public void Uses_defaults_and_resolves_references()
    {
        const string schema = """
            {"type":"object","$defs":{"unit":{"type":"string","enum":["c","f"]}},
             "properties":{"unit":{"$ref":"#/$defs/unit"},"limit":{"type":"integer","default":10}},"required":["unit","limit"]}
            """;

        using var doc = JsonDocument.Parse(ToolArguments.Build(schema, "hello"));

        doc.RootElement.GetProperty("unit").GetString().ShouldBe("c");
        doc.RootElement.GetProperty("limit").GetInt32().ShouldBe(10);
    }

    [Fact]
    public void A_hostile_schema_stays_small_and_never_throws()
    {
        var nested = """{"type":"string"}""";
        for (var i = 0; i < 30; i++)
        {
            nested = """{"type":"array","minItems":1000,"items":""" + nested + "}";
        }

        var schema = """{"type":"object","required":["deep","odd"],"properties":{"deep":""" + nested
            + ""","odd":{"type":[1,"integer"],"minimum":"abc","maximum":{},"format":5,"$ref":7}}}""";

        var arguments = ToolArguments.Build(schema, "anything");

        arguments.Length.ShouldBeLessThan(10_000);
        using var doc = JsonDocument.Parse(arguments);
        doc.RootElement.GetProperty("odd").TryGetInt64(out _).ShouldBeTrue(); // still an integer, whatever the budget left
    }

    [Theory]
    [InlineData("number")]
    [InlineData("integer")]
    public void A_number_in_the_message_too_large_for_a_double_is_not_taken_and_never_throws(string type)
    {
        var schema = $$$"""{"type":"object","properties":{"amount":{"type":"{{{type}}}"},"limit":{"type":"{{{type}}}"}},"required":["amount","limit"]}""";
        var huge = new string('9', 400); // parses as infinity, which JSON cannot carry

        var arguments = ToolArguments.Build(schema, $"pay amount {huge} now, limit 1{new string('0', 300)}");

        SchemaCheck.Problems(schema, arguments).ShouldBeEmpty();
        using var doc = JsonDocument.Parse(arguments);
        doc.RootElement.GetProperty("amount").GetDouble().ShouldBe(1); // the placeholder, as if no number were there
        var limit = doc.RootElement.GetProperty("limit").GetDouble(); // 1e300: finite, kept (an integer saturates)
        limit.ShouldBe(type == "integer" ? long.MaxValue : 1e300);
    }

    [Fact]
    public void A_long_run_of_digits_costs_linear_time_and_the_values_around_it_are_still_read()
    {
        const string schema = """{"type":"object","properties":{"amount":{"type":"integer"},"limit":{"type":"integer"}},"required":["amount","limit"]}""";

        // No number follows "limit", so one before it is looked for, across a 20,000-digit run: tried from every digit it
        // was quadratic, ran into the regex timeout and the whole call fell back to placeholders (amount 1).
        var arguments = ToolArguments.Build(schema, "amount 7, then " + new string('1', 20_000) + " and no limit named after");

        using var doc = JsonDocument.Parse(arguments);
        doc.RootElement.GetProperty("amount").GetInt64().ShouldBe(7);
    }

    [Fact]
    public void No_schema_gives_an_empty_object()
    {
        ToolArguments.Build(null, "anything").ShouldBe("{}");
    }
}

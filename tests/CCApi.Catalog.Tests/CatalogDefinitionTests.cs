using System.Text.Json.Nodes;
using CCApi.Catalog;

namespace CCApi.Catalog.Tests;

public class CatalogDefinitionTests
{
    [Fact]
    public void The_repository_definition_loads_with_every_provider_and_model()
    {
        var document = CatalogDefinition.Load(TestCatalog.DefinitionPath);

        document.Version.ShouldNotBeNullOrWhiteSpace();
        document.Providers.Select(p => p.Name).ShouldContain("local");
        document.Models.Select(m => m.Id).ShouldContain("local/pixel-async-1");
        var pixelAsync = document.Models.Single(m => m.Id == "local/pixel-async-1");
        pixelAsync.Mode.ShouldBe("async");
        pixelAsync.ProviderModel.ShouldBe("pixel-async-1");
        pixelAsync.Capabilities.MaxImages.ShouldBe(10);
        var mini = document.Models.Single(m => m.Id == "openai/gpt-4o-mini");
        mini.Pricing.InputPerMillion.ShouldBe(0.15m);
        mini.Pricing.CachedInputPerMillion.ShouldBe(0.075m); // OpenAI bills prompt tokens served from its cache at half
        (mini.InputModalities.Contains("image"), mini.Capabilities.ImageInputTokens).ShouldBe((true, 48_169));
    }

    [Fact]
    public void Rejects_a_duplicate_model_id()
    {
        var root = TestCatalog.Node();
        root["models"]!.AsArray().Add(root.Model("local/echo-1").DeepClone());

        Problem(root).ShouldContain("'local/echo-1'): id is defined more than once");
    }

    [Theory]
    [InlineData("local/echo-1", "provider_model", "echo-2", "id must be provider + \"/\" + provider_model ('local/echo-2')")]
    [InlineData("local/echo-1", "type", "video", "type 'video' must be one of chat, image, audio")]
    [InlineData("local/pixel-1", "mode", "batch", "mode 'batch' must be one of sync, async")]
    public void Rejects_a_model_field_set_to_a_value_the_catalog_does_not_allow(string id, string field, string value, string problem)
    {
        var root = TestCatalog.Node();
        root.Model(id)[field] = value;

        Problem(root).ShouldContain(problem);
    }

    [Theory]
    [InlineData("openai/gpt-4o-mini", "input_per_million")]
    [InlineData("openai/gpt-4o-mini", "cached_input_per_million")]
    [InlineData("openai/gpt-4o-mini", "output_per_million")]
    [InlineData("local/pixel-1", "per_image")]
    [InlineData("local/espeak-1", "per_character")]
    public void Rejects_a_negative_price(string id, string field)
    {
        var root = TestCatalog.Node();
        root.Model(id)["pricing"]![field] = -0.01;

        Problem(root).ShouldContain($"('{id}'): pricing.{field} must not be negative");
    }

    [Theory]
    [InlineData("local/echo-1", "local/echo-1", "is the model itself")]
    [InlineData("local/echo-1", "local/echo-2", "is neither a model of the catalog nor a model of type chat a provider passes through")]
    [InlineData("local/echo-1", "elevenlabs/some-model", "is neither a model of the catalog nor a model of type chat a provider passes through")]
    [InlineData("local/echo-1", "local/pixel-1", "is a model of type image; a model of type chat needs a replacement of its type")]
    public void Rejects_a_replacement_that_cannot_serve_in_the_models_place(string id, string replacement, string problem)
    {
        var root = TestCatalog.Node();
        root.Model(id)["replacement"] = replacement;

        Problem(root).ShouldContain($"('{id}'): replacement '{replacement}' {problem}");
    }

    [Fact]
    public void Takes_a_shutdown_date_and_a_replacement_a_provider_passes_through()
    {
        var root = TestCatalog.Node();
        root.Model("local/echo-1")["shutdown_date"] = "2030-02-01";
        root.Model("local/echo-1")["replacement"] = "openai/some-newer-model"; // openai passes chat models through

        var echo = CatalogDefinition.Parse(root.ToJsonString(), "test").Models.Single(m => m.Id == "local/echo-1");

        echo.ShutdownDate.ShouldBe(new DateOnly(2030, 2, 1));
        echo.IsShutDown(new DateTimeOffset(2030, 1, 31, 23, 59, 59, TimeSpan.Zero)).ShouldBeFalse();
        echo.IsShutDown(new DateTimeOffset(2030, 2, 1, 0, 0, 0, TimeSpan.Zero)).ShouldBeTrue(); // from the start of the day, UTC
        echo.IsShutDown(new DateTimeOffset(2030, 1, 31, 20, 0, 0, TimeSpan.FromHours(-5))).ShouldBeTrue(); // 01:00 UTC
    }

    [Fact]
    public void Rejects_a_shutdown_date_that_is_not_a_day()
    {
        var root = TestCatalog.Node();
        root.Model("local/echo-1")["shutdown_date"] = "14 January 2027";

        Should.Throw<CatalogDefinitionException>(() => CatalogDefinition.Parse(root.ToJsonString(), "test")).Message.ShouldContain("shutdown_date");
    }

    [Fact]
    public void Rejects_a_cached_input_price_without_an_input_price()
    {
        var root = TestCatalog.Node();
        root.Model("local/pixel-1")["pricing"]!["cached_input_per_million"] = 0.1;

        Problem(root).ShouldContain("('local/pixel-1'): pricing.cached_input_per_million needs pricing.input_per_million");
    }

    [Fact]
    public void Rejects_a_negative_image_input_token_count()
    {
        var root = TestCatalog.Node();
        root.Model("openai/gpt-4o-mini")["capabilities"]!["image_input_tokens"] = -1;

        Problem(root).ShouldContain("('openai/gpt-4o-mini'): capabilities.image_input_tokens must not be negative");
    }

    [Fact]
    public void Rejects_a_response_format_or_an_image_option_openai_does_not_define()
    {
        var root = TestCatalog.Node();
        root.Model("local/echo-1")["capabilities"]!["response_formats"] = new JsonArray("text", "yaml");

        Problem(root).ShouldContain("('local/echo-1'): capabilities.response_formats: 'yaml' is not one of text, json_object, json_schema");

        root = TestCatalog.Node();
        root.Model("local/pixel-1")["capabilities"]!["image_options"] = new JsonArray("background", "watermark");
        Problem(root).ShouldContain("('local/pixel-1'): capabilities.image_options: 'watermark' is not one of output_format, output_compression, background, moderation, partial_images");

        root = TestCatalog.Node();
        root.Model("local/pixel-1")["capabilities"]!["image_response_format"] = "png";
        Problem(root).ShouldContain("('local/pixel-1'): capabilities.image_response_format: 'png' is not one of url, b64_json");

        root = TestCatalog.Node();
        root.Model("local/pixel-1")["capabilities"]!["image_sizes"] = new JsonArray("1024x1024", "1024*1024");
        Problem(root).ShouldContain("('local/pixel-1'): capabilities.image_sizes: '1024*1024' is not WIDTHxHEIGHT");

        root = TestCatalog.Node();
        root.Model("local/pixel-1")["capabilities"]!["image_qualities"] = new JsonArray("standard", "ultra");
        Problem(root).ShouldContain("('local/pixel-1'): capabilities.image_qualities: 'ultra' is not one of standard, hd, low, medium, high, auto");

        root = TestCatalog.Node();
        root.Model("local/pixel-1")["capabilities"]!["image_styles"] = new JsonArray("vivid", " ");
        Problem(root).ShouldContain("('local/pixel-1'): capabilities.image_styles must not hold an empty style.");
    }

    [Fact]
    public void Rejects_a_model_whose_provider_is_not_defined()
    {
        var root = TestCatalog.Node();
        var model = root.Model("local/echo-1");
        model["id"] = "ghost/echo-1";
        model["provider"] = "ghost";

        Problem(root).ShouldContain("provider 'ghost' is not defined in providers");
    }

    [Fact]
    public void Rejects_an_unknown_open_model_type()
    {
        var root = TestCatalog.Node();
        root["providers"]![0]!["open_model_types"] = new JsonArray("chat", "video");

        Problem(root).ShouldContain("providers[0].open_model_types: 'video' is not one of chat, image, audio");
    }

    [Fact]
    public void Rejects_a_provider_defined_twice()
    {
        var root = TestCatalog.Node();
        root["providers"]!.AsArray().Add(root["providers"]![0]!.DeepClone());

        Problem(root).ShouldContain("providers[5].name 'local' is defined more than once");
    }

    [Fact]
    public void Lists_every_problem_at_once_and_names_the_file()
    {
        var root = TestCatalog.Node();
        root.Model("local/echo-1")["type"] = "video";
        root.Model("local/pixel-1")["mode"] = "batch";

        var message = Problem(root);

        message.ShouldStartWith("Catalog definition 'test.json' is invalid:");
        message.ShouldContain("type 'video'");
        message.ShouldContain("mode 'batch'");
    }

    [Fact]
    public void Rejects_a_model_missing_a_required_field_naming_it()
    {
        var root = TestCatalog.Node();
        root.Model("local/echo-1").Remove("display_name");

        Problem(root).ShouldContain("display_name");
    }

    [Fact]
    public void Rejects_text_that_is_not_json()
    {
        Should.Throw<CatalogDefinitionException>(() => CatalogDefinition.Parse("{ not json", "test.json"))
            .Message.ShouldContain("is not valid JSON");
    }

    [Fact]
    public void Tolerates_comments_and_trailing_commas_in_the_hand_edited_file()
    {
        var json = TestCatalog.Json.Replace("\"providers\": [", "// providers first\n  \"providers\": [", StringComparison.Ordinal);
        json = json.TrimEnd().TrimEnd('}') + ",}";

        CatalogDefinition.Parse(json, "test.json").Models.ShouldNotBeEmpty();
    }

    [Fact]
    public void Resolves_a_relative_path_against_the_content_root_first_then_the_current_directory()
    {
        using var root = new TempDir();
        using var cwd = new TempDir();
        File.WriteAllText(Path.Combine(cwd.Path, "catalog.json"), "{}");

        CatalogDefinition.ResolvePath("catalog.json", root.Path, cwd.Path).ShouldBe(Path.Combine(cwd.Path, "catalog.json"));

        File.WriteAllText(Path.Combine(root.Path, "catalog.json"), "{}");
        CatalogDefinition.ResolvePath("catalog.json", root.Path, cwd.Path).ShouldBe(Path.Combine(root.Path, "catalog.json"));
    }

    [Fact]
    public void A_missing_file_names_the_setting_and_every_place_looked()
    {
        using var root = new TempDir();
        using var cwd = new TempDir();

        var message = Should.Throw<CatalogDefinitionException>(() => CatalogDefinition.ResolvePath("nope.json", root.Path, cwd.Path)).Message;

        message.ShouldContain("Catalog:DefinitionPath");
        message.ShouldContain(Path.Combine(root.Path, "nope.json"));
        message.ShouldContain(Path.Combine(cwd.Path, "nope.json"));
    }

    private static string Problem(JsonObject root) =>
        Should.Throw<CatalogDefinitionException>(() => CatalogDefinition.Parse(root.ToJsonString(), "test.json")).Message;

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("ccapi-catalog-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}

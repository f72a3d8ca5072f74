using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CCApi.Catalog.Tests;

[Collection(CatalogBusCollection.Name)]
public class CatalogApiTests(CatalogFactory factory) : IClassFixture<CatalogFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task Get_catalog_serves_the_definition_in_snake_case_with_a_live_status_per_provider()
    {
        var response = await _client.GetAsync("/catalog");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        json["models"]!.AsArray().Count.ShouldBe(TestCatalog.Document.Models.Count);
        json["providers"]!.AsArray().Count.ShouldBe(TestCatalog.Document.Providers.Count);
        json["models"]![0]!["provider_model"].ShouldNotBeNull();
        json["providers"]!.AsArray().ShouldAllBe(p => new[] { "available", "degraded", "unavailable" }.Contains((string)p!["status"]!));
        ((string)json["version"]!).ShouldStartWith(TestCatalog.Document.Version + "+");
    }

    [Fact]
    public async Task Get_models_returns_the_public_model_list()
    {
        var json = await GetJsonAsync("/models");

        ((string)json["object"]!).ShouldBe("list");
        var data = json["data"]!.AsArray();
        data.Select(m => (string)m!["id"]!).ShouldBe(TestCatalog.Document.Models.Select(m => m.Id).Order(StringComparer.Ordinal));

        var echo = data.Single(m => (string)m!["id"]! == "local/echo-1")!;
        ((string)echo["object"]!).ShouldBe("model");
        ((long)echo["created"]!).ShouldBe(1763683200);
        ((string)echo["owned_by"]!).ShouldBe("ccapi");
        ((string)echo["provider"]!["name"]!).ShouldBe("local");
        ((bool)echo["provider"]!["is_fundamental"]!).ShouldBeTrue();
        var ccapi = echo["ccapi"]!;
        ((string)ccapi["type"]!).ShouldBe("chat");
        ((string)ccapi["mode"]!).ShouldBe("sync");
        ((int)ccapi["capabilities"]!["context_length"]!).ShouldBe(32768);
        ((bool)ccapi["capabilities"]!["function_calling"]!).ShouldBeTrue();
        ((string)ccapi["pricing"]!["currency"]!).ShouldBe("USD");
        ((decimal)ccapi["pricing"]!["input_per_million"]!).ShouldBe(0.15m); // demo prices, so credits can be tried without provider keys
        ccapi["status"].ShouldNotBeNull();
        ccapi.AsObject().ContainsKey("voices").ShouldBeFalse(); // nulls are omitted
        ccapi["pricing"]!.AsObject().ContainsKey("per_image").ShouldBeFalse();

        echo.AsObject().ContainsKey("shutdown_date").ShouldBeFalse(); // none announced
        var mini = data.Single(m => (string)m!["id"]! == "openai/gpt-4o-mini")!;
        ((string)mini["shutdown_date"]!).ShouldBe("2027-01-14"); // OpenAI's field, as its own GET /v1/models has it
        ((string)mini["ccapi"]!["replacement"]!).ShouldBe("openai/gpt-6-luna");

        var espeak = data.Single(m => (string)m!["id"]! == "local/espeak-1")!;
        espeak["ccapi"]!["voices"]!.AsArray().Select(v => (string)v!).ShouldContain("alloy");
        espeak["ccapi"]!["formats"]!.AsArray().Select(v => (string)v!).ShouldContain("wav");
    }

    [Fact]
    public async Task Get_models_filters_sorts_and_pages()
    {
        var local = await GetJsonAsync("/models?provider=local&type=image&sort=display_name&order=desc");
        local["data"]!.AsArray().Select(m => (string)m!["id"]!).ShouldBe(["local/pixel-async-1", "local/pixel-1"]);

        var all = (await GetJsonAsync("/models"))["data"]!.AsArray().Select(m => (string)m!["id"]!).ToList();
        var page = await GetJsonAsync("/models?limit=3&offset=2");
        page["data"]!.AsArray().Select(m => (string)m!["id"]!).ShouldBe(all.Skip(2).Take(3));
    }

    [Fact]
    public async Task Get_models_says_whether_more_match_beyond_the_page()
    {
        var total = (await GetJsonAsync("/models"))["data"]!.AsArray().Count;

        ((bool)(await GetJsonAsync("/models"))["has_more"]!).ShouldBeFalse();
        ((bool)(await GetJsonAsync($"/models?limit={total - 1}"))["has_more"]!).ShouldBeTrue();
        ((bool)(await GetJsonAsync($"/models?limit={total - 1}&offset=1"))["has_more"]!).ShouldBeFalse();
    }

    [Fact]
    public async Task Get_models_filters_by_capability_and_modality()
    {
        var streaming = await GetJsonAsync("/models?capability=streaming&provider=local");
        streaming["data"]!.AsArray().Select(m => (string)m!["id"]!).ShouldBe(["local/echo-1"]);

        var audio = (await GetJsonAsync("/models?modality=audio"))["data"]!.AsArray();
        audio.ShouldNotBeEmpty();
        audio.ShouldAllBe(m => m!["ccapi"]!["output_modalities"]!.AsArray().Any(x => (string)x! == "audio")
            || m["ccapi"]!["input_modalities"]!.AsArray().Any(x => (string)x! == "audio"));

        // Every listed value must hold: chat models that also take images.
        var vision = await GetJsonAsync("/models?modality=text,image&capability=function_calling&type=chat");
        vision["data"]!.AsArray().Select(m => (string)m!["id"]!).ShouldBe(["local/echo-1", "openai/gpt-4o-mini"]);

        // What the catalog says a chat model honours: json_schema among its response_formats, logprobs true.
        var structured = await GetJsonAsync("/models?capability=structured_outputs,logprobs");
        structured["data"]!.AsArray().Select(m => (string)m!["id"]!).ShouldBe(["openai/gpt-4o-mini"]);
        structured["data"]![0]!["ccapi"]!["capabilities"]!["response_formats"]!.AsArray().Select(f => (string)f!).ShouldContain("json_schema");
    }

    [Fact]
    public async Task Get_models_lists_only_what_allowed_models_admits()
    {
        var json = await GetJsonAsync("/models?allowed_models=local/echo-1,OPENAI/*");

        json["data"]!.AsArray().Select(m => (string)m!["id"]!).ShouldBe(["local/echo-1", "openai/dall-e-2", "openai/dall-e-3", "openai/gpt-4o-mini", "openai/gpt-4o-mini-tts", "openai/gpt-image-1", "openai/tts-1", "openai/tts-1-hd"]);
    }

    [Theory]
    [InlineData("/models/local/echo-1")]
    [InlineData("/models/local%2Fecho-1")]
    [InlineData("/models/LOCAL/Echo-1")]
    public async Task Get_model_returns_the_openai_model_object_with_the_ccapi_fields(string path)
    {
        var json = await GetJsonAsync(path);

        ((string)json["id"]!).ShouldBe("local/echo-1");
        ((string)json["object"]!).ShouldBe("model");
        ((long)json["created"]!).ShouldBe(1763683200);
        ((string)json["owned_by"]!).ShouldBe("ccapi");
        ((string)json["provider"]!["name"]!).ShouldBe("local");
        ((string)json["ccapi"]!["type"]!).ShouldBe("chat");
    }

    [Theory]
    [InlineData("/models/local/nope")]
    [InlineData("/models/nope")]
    [InlineData("/models/local%2Fnope%2F..")]
    public async Task Get_model_answers_404_model_not_found_for_an_unknown_id(string path)
    {
        var response = await _client.GetAsync(path);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        ((string)error["type"]!).ShouldBe("invalid_request_error");
        ((string)error["code"]!).ShouldBe("model_not_found");
    }

    [Theory]
    [InlineData("limit=abc", "limit")]
    [InlineData("limit=0", "limit")]
    [InlineData("offset=-1", "offset")]
    [InlineData("order=sideways", "order")]
    [InlineData("sort=unknown", "sort")]
    [InlineData("type=video", "type")]
    [InlineData("capability=telepathy", "capability")]
    [InlineData("capability=streaming,x", "capability")]
    [InlineData("modality=video", "modality")]
    public async Task Get_models_answers_400_naming_the_bad_parameter(string query, string parameter)
    {
        var response = await _client.GetAsync("/models?" + query);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        ((string)error["type"]!).ShouldBe("invalid_request_error");
        ((string)error["message"]!).ShouldContain(parameter);
        ((string)error["details"]!["param"]!).ShouldBe(parameter);
    }

    [Fact]
    public async Task Get_providers_lists_every_provider_with_status_and_model_counts()
    {
        var json = await GetJsonAsync("/providers");

        ((string)json["object"]!).ShouldBe("list");
        var data = json["data"]!.AsArray();
        data.Select(p => (string)p!["name"]!).ShouldBe(TestCatalog.Document.Providers.Select(p => p.Name));
        var local = data.Single(p => (string)p!["name"]! == "local")!;
        ((string)local["display_name"]!).ShouldNotBeNullOrWhiteSpace();
        ((bool)local["demo"]!).ShouldBeTrue();
        ((int)local["model_count"]!).ShouldBe(4);
        local["types"]!.AsArray().Select(t => (string)t!).ShouldBe(["audio", "chat", "image"]);
        local["status"].ShouldNotBeNull();
        local["models"].ShouldBeNull();
    }

    [Fact]
    public async Task Get_provider_returns_its_summary_and_models()
    {
        var json = await GetJsonAsync("/providers/openai");

        ((string)json["name"]!).ShouldBe("openai");
        ((string)json["website"]!).ShouldBe("https://platform.openai.com");
        var models = json["models"]!.AsArray();
        ((int)json["model_count"]!).ShouldBe(models.Count);
        models.ShouldAllBe(m => (string)m!["provider"]!["name"]! == "openai");
        models.ShouldAllBe(m => (string)m!["object"]! == "model");
        json["open_model_types"]!.AsArray().Select(t => (string)t!).ShouldBe(["chat", "image", "audio"]);
    }

    [Fact]
    public async Task Providers_show_only_the_models_allowed_models_admits()
    {
        var openai = await GetJsonAsync("/providers/openai?allowed_models=local/*,openai/gpt-4o*");
        var list = (await GetJsonAsync("/providers?allowed_models=local/*,openai/gpt-4o*"))["data"]!.AsArray();

        openai["models"]!.AsArray().Select(m => (string)m!["id"]!).ShouldBe(["openai/gpt-4o-mini", "openai/gpt-4o-mini-tts"]);
        ((int)openai["model_count"]!).ShouldBe(2);
        ((int)list.Single(p => (string)p!["name"]! == "openai")!["model_count"]!).ShouldBe(2);
        ((int)list.Single(p => (string)p!["name"]! == "local")!["model_count"]!).ShouldBe(4);
        ((int)list.Single(p => (string)p!["name"]! == "elevenlabs")!["model_count"]!).ShouldBe(0);
    }

    [Fact]
    public async Task Get_provider_answers_404_not_found_for_an_unknown_name()
    {
        var response = await _client.GetAsync("/providers/nobody");

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        ((string)error["code"]!).ShouldBe("not_found");
        ((string)error["message"]!).ShouldContain("nobody");
    }

    private async Task<JsonNode> GetJsonAsync(string path)
    {
        var response = await _client.GetAsync(path);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }
}

using System.Buffers;
using CCApi.Contracts;
using CCApi.Gateway.Api;
using CCApi.Gateway.Auth;
using CCApi.Gateway.Catalog;
using CCApi.Gateway.Dispatch;
using CCApi.Gateway.Endpoints;
using CCApi.Gateway.Http;
using CCApi.ServiceDefaults;
using CCApi.Storage;

namespace CCApi.Gateway.Tests;

public sealed class ImageRequestValidatorTests
{
    private static readonly ModelEntry Pixel = new()
    {
        Id = "local/pixel-1", Provider = "local", ProviderModel = "pixel-1", DisplayName = "Pixel", Type = "image",
        Operations = ["text-to-image", "image-to-image", "inpainting", "multi-image-remix"], MaxImageSize = 2048,
        Capabilities = new ModelCapabilities { MaxImages = 10 },
    };

    [Theory]
    [InlineData(0, false, "text-to-image")]
    [InlineData(1, false, "image-to-image")]
    [InlineData(2, false, "multi-image-remix")]
    [InlineData(3, false, "multi-image-remix")]
    [InlineData(1, true, "inpainting")]
    [InlineData(2, true, "inpainting")]
    public void Derives_the_operation_from_image_count_and_masks(int images, bool mask, string operation) =>
        ImageRequestValidator.DeriveOperation(images, mask).ShouldBe(operation);

    [Theory]
    [InlineData("1:1", 1024, 1024)]
    [InlineData("16:9", 1024, 576)]
    [InlineData("9:16", 576, 1024)]
    [InlineData("4:3", 1024, 768)]
    [InlineData("3:2", 1024, 680)]
    [InlineData("21:9", 1024, 440)]
    [InlineData("4:5", 816, 1024)]
    public void Aspect_ratios_map_to_a_1024_long_side_in_multiples_of_8(string ratio, int width, int height) =>
        ImageRequestValidator.FromAspectRatio(ratio).ShouldBe((width, height));

    [Theory]
    [InlineData(null, 1024, 1024)]
    [InlineData("auto", 1024, 1024)]
    [InlineData("1792x1024", 1792, 1024)]
    [InlineData("64x2048", 64, 2048)]
    public void Parses_sizes(string? size, int width, int height) =>
        ImageRequestValidator.ParseSize(size, 2048, "size").ShouldBe((width, height));

    [Theory]
    [InlineData("1024")]
    [InlineData("x1024")]
    [InlineData("1024x")]
    [InlineData("1024X1024")]
    [InlineData("+64x64")]
    [InlineData("63x64")]
    [InlineData("2049x64")]
    [InlineData("99999999999x1")]
    public void Rejects_bad_sizes_naming_the_field(string size) =>
        Should.Throw<ApiException>(() => ImageRequestValidator.ParseSize(size, 2048, "size")).Details!["param"].ShouldBe("size");

    [Fact]
    public void Explicit_width_and_height_win_over_the_aspect_ratio()
    {
        var plan = Plan("""{"parameters":{"width":300,"height":200,"aspect_ratio":"9:16"}}""");

        (plan.Width, plan.Height).ShouldBe((300, 200));
        plan.AspectRatio.ShouldBe("9:16");
    }

    [Fact]
    public void A_single_side_follows_the_aspect_ratio()
    {
        var plan = Plan("""{"parameters":{"width":512,"aspect_ratio":"16:9"}}""");

        (plan.Width, plan.Height).ShouldBe((512, 288));
    }

    [Fact]
    public void Defaults_to_one_1024_square_url_image()
    {
        var plan = Plan("{}");

        (plan.Width, plan.Height, plan.NumImages, plan.ResponseFormat, plan.Operation).ShouldBe((1024, 1024, 1, "url", "text-to-image"));
        plan.Prompt.ShouldBe("a fox");
    }

    [Fact]
    public void Joins_text_items_into_one_prompt_and_keeps_images_in_order()
    {
        var png = Convert.ToBase64String(Fixtures.FakeProviders.Png);
        var plan = Plan($$$$"""{"contents":[{"text":"one"},{"image":{"url":"https://example.com/a.png"}},{"text":"two","image":{"data":"{{{{png}}}}"}}]}""");

        plan.Prompt.ShouldBe("one\ntwo");
        plan.Operation.ShouldBe("multi-image-remix");
        plan.Inputs.Count.ShouldBe(2);
        plan.Inputs[0].Url.ShouldBe("https://example.com/a.png");
        plan.Inputs[1].Bytes.ShouldBe(Fixtures.FakeProviders.Png);
        plan.Inputs[1].MimeType.ShouldBe("image/png");
        plan.Inputs.Select(i => i.Field).ShouldBe(["contents[1].image", "contents[2].image"]);
    }

    private static ImagePlan Plan(string patch)
    {
        var body = JsonNode.Parse("""{"model":"local/pixel-1","contents":[{"text":"a fox"}]}""")!.AsObject();
        foreach (var (key, value) in JsonNode.Parse(patch)!.AsObject())
        {
            body[key] = value!.DeepClone();
        }

        var request = JsonBody.Parse(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(body.ToJsonString())), GatewayJsonContext.Default.ImageGenerateRequestBody);
        return ImageRequestValidator.Validate(request, Pixel, new GatewayOptions());
    }
}

public sealed class ChatRequestValidatorTests
{
    private static ChatPlan Validate(string json) => ChatRequestValidator.Validate(
        JsonBody.Parse(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)), GatewayJsonContext.Default.ChatCompletionRequestBody));

    [Fact]
    public void Puts_model_first_then_models_in_order_without_repeats()
    {
        var plan = Validate("""{"model":"a/x","models":["b/y","A/X","c/z"],"messages":[{"role":"user","content":"hi"}]}""");

        plan.Candidates.ShouldBe([("model", "a/x"), ("models[0]", "b/y"), ("models[2]", "c/z")]);
    }

    [Theory]
    [InlineData("", 1, null)]
    [InlineData(",\"n\":1", 1, null)]
    [InlineData(",\"n\":4", 4, 4)]
    [InlineData(",\"n\":128", 128, 128)]
    public void Carries_n_to_the_command_only_when_more_than_one_choice_is_asked_for(string n, int choices, int? commanded)
    {
        var plan = Validate($$"""{"model":"a/x","messages":[{"role":"user","content":"hi"}]{{n}}}""");

        plan.Choices.ShouldBe(choices);
        plan.ToCommand(Guid.NewGuid(), DateTimeOffset.UnixEpoch, new JobRoute { OwnerId = "key_0", Provider = "a", Model = "a/x", ProviderModel = "x" }, null).N.ShouldBe(commanded);
    }

    [Theory]
    [InlineData("\"none\"", "none", null)]
    [InlineData("\"auto\"", "auto", null)]
    [InlineData("\"required\"", "required", null)]
    [InlineData("{\"type\":\"function\",\"function\":{\"name\":\"f\"}}", null, "f")]
    [InlineData("null", null, null)]
    public void Maps_tool_choice_onto_the_contract(string choice, string? toolChoice, string? function)
    {
        var plan = Validate($$$$"""{"model":"a/x","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{{{{choice}}}}}""");

        plan.ToolChoice.ShouldBe(toolChoice);
        plan.ToolChoiceFunction.ShouldBe(function);
    }

    [Fact]
    public void Passes_valid_penalties_logit_bias_and_modalities_through_and_keeps_the_modalities_for_the_model_check()
    {
        var plan = Validate("""{"model":"a/x","messages":[{"role":"user","content":"hi"}],"frequency_penalty":-2,"presence_penalty":1.5,"logit_bias":{"50256":-100,"7":100},"modalities":["text","audio"]}""");

        plan.Modalities.ShouldBe(["text", "audio"]);
        var extra = JsonNode.Parse(plan.ExtraParametersJson!)!.AsObject();
        extra.Select(p => p.Key).ShouldBe(["frequency_penalty", "presence_penalty", "logit_bias", "modalities"], ignoreOrder: true);
        extra["logit_bias"]!["50256"]!.GetValue<int>().ShouldBe(-100);
    }

    [Fact]
    public void Keeps_unknown_OpenAI_parameters_as_raw_JSON_and_drops_nothing_known()
    {
        var plan = Validate("""{"model":"a/x","messages":[{"role":"user","content":"hi"}],"logit_bias":{"50256":-100},"parallel_tool_calls":false,"max_tokens":9}""");

        var extra = JsonNode.Parse(plan.ExtraParametersJson!)!.AsObject();
        extra.Select(p => p.Key).ShouldBe(["logit_bias", "parallel_tool_calls"], ignoreOrder: true);
        extra["logit_bias"]!["50256"]!.GetValue<int>().ShouldBe(-100);
        plan.MaxTokens.ShouldBe(9);
    }

    [Fact]
    public void Passes_valid_logprobs_and_response_format_through()
    {
        var plan = Validate("""{"model":"a/x","messages":[{"role":"user","content":"hi"}],"logprobs":true,"top_logprobs":20,"response_format":{"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object"}}}}""");

        var extra = JsonNode.Parse(plan.ExtraParametersJson!)!.AsObject();
        extra.Select(p => p.Key).ShouldBe(["logprobs", "top_logprobs", "response_format"], ignoreOrder: true);
        extra["response_format"]!["json_schema"]!["name"]!.GetValue<string>().ShouldBe("answer");
        (plan.Logprobs, plan.ResponseFormat).ShouldBe((true, "json_schema")); // for the model's capabilities to judge
    }

    [Fact]
    public void Accepts_tool_messages_answering_the_calls_of_the_assistant_message_before_them()
    {
        var plan = Validate("""{"model":"a/x","messages":[{"role":"user","content":"weather?"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"c2","type":"function","function":{"name":"g","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c2","content":"b"},{"role":"tool","tool_call_id":"c1","content":"a"},{"role":"user","content":"thanks"}]}""");

        plan.Messages.Select(m => m.ToolCallId).ShouldBe([null, null, "c2", "c1", null]);
    }

    [Fact]
    public void Has_no_extra_parameters_when_every_field_is_known() =>
        Validate("""{"model":"a/x","messages":[{"role":"user","content":"hi"}]}""").ExtraParametersJson.ShouldBeNull();

    [Fact]
    public void Includes_usage_only_when_streaming_and_takes_stream_options_only_then()
    {
        Validate("""{"model":"a/x","stream":true,"messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":true}}""").IncludeUsage.ShouldBeTrue();
        Validate("""{"model":"a/x","stream":true,"messages":[{"role":"user","content":"hi"}]}""").IncludeUsage.ShouldBeFalse();
        Validate("""{"model":"a/x","messages":[{"role":"user","content":"hi"}],"stream_options":null}""").IncludeUsage.ShouldBeFalse();
        Should.Throw<ApiException>(() => Validate("""{"model":"a/x","messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":true}}"""))
            .Details!["param"].ShouldBe("stream_options"); // OpenAI: only allowed when stream is true
    }

    [Theory]
    [InlineData("user", """{"type":"text","text":"t"}""")]
    [InlineData("user", """{"type":"image_url","image_url":{"url":"https://example.com/a.png","detail":"low"}}""")]
    [InlineData("user", """{"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}}""")]
    [InlineData("user", """{"type":"file","file":{"file_id":"file-1"}}""")]
    [InlineData("assistant", """{"type":"refusal","refusal":"no"}""")]
    [InlineData("system", """{"type":"text","text":"t"}""")]
    [InlineData("developer", """{"type":"text","text":"t"}""")]
    public void Takes_the_content_parts_each_role_may_send(string role, string part)
    {
        var messages = role == "user"
            ? $$"""[{"role":"user","content":[{{part}}]}]"""
            : $$"""[{"role":"{{role}}","content":[{{part}}]},{"role":"user","content":"hi"}]""";

        Validate($$"""{"model":"a/x","messages":{{messages}}}""").Messages.ShouldNotBeEmpty();
    }

    [Fact]
    public void Accepts_an_assistant_message_with_tool_calls_and_no_content()
    {
        var plan = Validate("""{"model":"a/x","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"ok"}]}""");

        plan.Messages[0].Content.ShouldBeNull();
        plan.Messages[0].ToolCalls.ShouldNotBeNull().ShouldHaveSingleItem().Name.ShouldBe("f");
        plan.Messages[1].ToolCallId.ShouldBe("c1");
    }
}

public sealed class JsonBodyTests
{
    [Theory]
    [InlineData("""{"temperature":"hot"}""", "temperature", "expected a number")]
    [InlineData("""{"max_tokens":1.5}""", "max_tokens", "expected an integer")]
    [InlineData("""{"model":[1]}""", "model", "expected a string")]
    [InlineData("""{"stream":"yes"}""", "stream", "expected a boolean (true or false)")]
    [InlineData("""{"messages":[{"role":"user","tool_calls":{}}]}""", "messages[0].tool_calls", "expected an array")]
    [InlineData("""{"stream_options":[]}""", "stream_options", "expected an object")]
    public void Names_the_field_and_the_expected_type_without_dotnet_type_names(string json, string field, string expected)
    {
        var error = Should.Throw<ApiException>(() =>
            JsonBody.Parse(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)), GatewayJsonContext.Default.ChatCompletionRequestBody));

        error.Status.ShouldBe(400);
        error.Code.ShouldBe(ErrorCodes.InvalidJson);
        error.Details!["param"].ShouldBe(field);
        error.Message.ShouldBe($"Invalid JSON at '{field}': {expected}.");
        error.Message.ShouldNotContain("System.");
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("{\"a\":1} {}")]
    [InlineData("{\"a\":")]
    public void Blames_the_body_for_malformed_documents(string json) =>
        Should.Throw<ApiException>(() =>
            JsonBody.Parse(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)), GatewayJsonContext.Default.SpeechRequestBody))
        .Details!["param"].ShouldBe("body");
}

public sealed class SpeechModeTests
{
    [Theory]
    [InlineData(null, null, "mp3", false, true)]
    [InlineData(null, "wav", "wav", false, true)]
    [InlineData(null, "aac", "aac", false, true)]
    [InlineData(null, "url", "mp3", true, false)]
    [InlineData(null, "b64_json", "mp3", true, true)]
    [InlineData("ogg", null, "ogg", true, false)]
    [InlineData("ogg", "url", "ogg", true, false)]
    [InlineData("flac", "b64_json", "flac", true, true)]
    public void Chooses_OpenAI_bytes_or_CCAPI_json(string? outputFormat, string? responseFormat, string format, bool json, bool inline)
    {
        var mode = SpeechEndpoints.ParseMode(new SpeechRequestBody { OutputFormat = outputFormat, ResponseFormat = responseFormat });

        (mode.Format, mode.Json, mode.Inline).ShouldBe((format, json, inline));
    }

    [Theory]
    [InlineData("mp3", "audio/mpeg")]
    [InlineData("wav", "audio/wav")]
    [InlineData("ogg", "audio/ogg")]
    [InlineData("opus", "audio/opus")]
    [InlineData("aac", "audio/aac")]
    [InlineData("flac", "audio/flac")]
    [InlineData("pcm", "audio/pcm")]
    public void Maps_audio_formats_to_OpenAIs_content_types(string format, string contentType) =>
        MediaTypes.Audio(format).ShouldBe(contentType);
}

public sealed class SmallRulesTests
{
    [Theory]
    [InlineData(400, false)]
    [InlineData(404, false)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(502, true)]
    [InlineData(503, true)]
    [InlineData(504, true)]
    public void Fails_over_on_provider_errors_overload_and_timeouts_only(int status, bool retriable) =>
        ProviderDispatcher.IsRetriable(new ApiException(status, ErrorTypes.Api, null, "x")).ShouldBe(retriable);

    [Theory]
    [InlineData(0)]
    [InlineData(200)]
    [InlineData(302)]
    [InlineData(600)]
    public void Turns_an_adapter_error_with_a_non_error_status_into_502(int status) =>
        ProviderDispatcher.ToApiException(new ErrorInfo { Message = "m", Type = ErrorTypes.Api, Status = status }).Status.ShouldBe(502);

    [Fact]
    public void Derives_the_key_id_from_the_hash()
    {
        var hash = ApiKeyStore.Hash("sk-example");

        hash.ShouldBe(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("sk-example"u8)));
        ApiKeyStore.KeyIdFor(hash).ShouldBe("key_" + hash[..16]);
    }

    [Theory]
    [InlineData("img_0123456789abcdef0123456789abcdef", true)]
    [InlineData("img_0123456789ABCDEF0123456789ABCDEF", true)]
    [InlineData("0123456789abcdef0123456789abcdef", false)]
    [InlineData("img_01234567-89ab-cdef-0123-456789abcdef", false)]
    [InlineData("job_0123456789abcdef0123456789abcdef", false)]
    [InlineData("img_", false)]
    public void Parses_only_img_prefixed_32_hex_ids(string id, bool valid) =>
        ImageJobEndpoints.TryParseId(id, out _).ShouldBe(valid);

    [Theory]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, "image/png")]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 }, "image/jpeg")]
    [InlineData(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61 }, "image/gif")]
    [InlineData(new byte[] { 0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50 }, "image/webp")]
    [InlineData(new byte[] { 0x3C, 0x68, 0x74, 0x6D, 0x6C }, null)]
    public void Sniffs_input_image_types(byte[] bytes, string? type) =>
        ImageBytes.Sniff(bytes).ShouldBe(type);
}

public sealed class PublicUrlTests
{
    private static PublicUrls Urls(string? publicBase) => new(new CCApi.Storage.BlobUrlSigner(
        Microsoft.Extensions.Options.Options.Create(new CCApi.Storage.BlobUrlOptions { SigningKey = CCApi.Testing.TestInfrastructure.SigningKey, PublicBaseUrl = publicBase }),
        TimeProvider.System));

    private static Microsoft.AspNetCore.Http.HttpRequest Request()
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.Scheme = "http";
        context.Request.Host = new Microsoft.AspNetCore.Http.HostString("gateway.internal", 8080);
        return context.Request;
    }

    [Fact]
    public void Uses_the_configured_public_base_url_when_set()
    {
        var urls = Urls("https://api.example.com/");

        urls.ImageJob(Request(), "img_1").ShouldBe("https://api.example.com/v1/images/jobs/img_1");
        urls.File(Request(), new BlobRef { Id = "ab", ContentType = "image/png" }).ShouldStartWith("https://api.example.com/v1/files/ab.png?expires=");
    }

    [Fact]
    public void Falls_back_to_the_requests_own_origin()
    {
        var urls = Urls(null);

        urls.ImageJob(Request(), "img_1").ShouldBe("http://gateway.internal:8080/v1/images/jobs/img_1");
        urls.File(Request(), "cd", "audio/mpeg").ShouldStartWith("http://gateway.internal:8080/v1/files/cd.mp3?expires=");
    }
}

public sealed class ModelPassThroughTests
{
    private static readonly CatalogView Catalog = new(new CatalogDocument
    {
        Version = "t",
        Providers =
        [
            new ProviderEntry { Name = "openai", DisplayName = "OpenAI", Status = "available", OpenModelTypes = ["chat", "audio"] },
            new ProviderEntry { Name = "local", DisplayName = "Local", Status = "available" },
        ],
        Models = [new ModelEntry { Id = "openai/gpt-4o-mini", Provider = "openai", ProviderModel = "gpt-4o-mini", DisplayName = "GPT-4o mini", Type = "chat", Pricing = new ModelPricing { InputPerMillion = 0.15m } }],
    });

    [Theory]
    [InlineData("openai/llama3.1:8b", "llama3.1:8b")]
    [InlineData("openai/meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct")]
    public void Passes_a_model_outside_the_catalog_through_to_an_open_provider(string id, string providerModel)
    {
        var model = ModelResolution.Resolve(Catalog, id, "model", "chat", "/v1/chat/completions");

        model.Provider.ShouldBe("openai");
        model.ProviderModel.ShouldBe(providerModel);
        model.Id.ShouldBe(id);
        model.Pricing.InputPerMillion.ShouldBeNull();
        ModelResolution.Route(model, new ApiCaller("owner", "")).ProviderModel.ShouldBe(providerModel);

        // What it takes and answers is the provider's to judge: image and audio parts, audio output are not refused by the gateway.
        var json = $$$"""{"model":"{{{id}}}","modalities":["text","audio"],"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/a.png"}},{"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}}]}]}""";
        var plan = ChatRequestValidator.Validate(JsonBody.Parse(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)), GatewayJsonContext.Default.ChatCompletionRequestBody));
        ChatRequestValidator.ForModel(plan, model).ShouldBeSameAs(plan);
    }

    [Fact]
    public void Prefers_the_catalog_entry_and_its_price_when_the_model_is_listed() =>
        ModelResolution.Resolve(Catalog, "openai/gpt-4o-mini", "model", "chat", "/v1/chat/completions").Pricing.InputPerMillion.ShouldBe(0.15m);

    [Theory]
    [InlineData("local/anything", "chat")]     // provider not open
    [InlineData("openai/dall-e-9", "image")]   // type not open for this provider
    [InlineData("nobody/model", "chat")]       // unknown provider
    [InlineData("openai/", "chat")]            // no model name
    [InlineData("openai/two words", "chat")]   // whitespace is never a model id
    public void Answers_model_not_found_for_anything_else(string id, string type) =>
        Should.Throw<ApiException>(() => ModelResolution.Resolve(Catalog, id, "model", type, "/v1/x")).Code.ShouldBe(ErrorCodes.ModelNotFound);
}

using Microsoft.Extensions.DependencyInjection;

namespace CCApi.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class ImageGenerationsTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Answers_signed_urls_that_serve_the_images()
    {
        var prompt = "solar farm " + Guid.NewGuid().ToString("N");

        var response = await gateway.PostJsonAsync("/v1/images/generations",
            $$$"""{"model":"local/pixel-1","prompt":"{{{prompt}}}","n":2,"size":"512x256","quality":"hd","style":"vivid","user":"u","output_format":"png","output_compression":100,"background":"opaque","moderation":"auto","partial_images":0}""");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await GatewayFixture.ReadJsonAsync(response);
        body["id"]!.GetValue<string>().ShouldMatch("^img_[0-9a-f]{32}$");
        body["created"]!.GetValue<long>().ShouldBeGreaterThan(0);
        body["model"]!.GetValue<string>().ShouldBe("local/pixel-1");
        body["provider"]!.GetValue<string>().ShouldBe("local");
        body["revised_prompt"]!.GetValue<string>().ShouldBe("revised: " + prompt);
        var data = body["data"]!.AsArray();
        data.Count.ShouldBe(2);
        foreach (var item in data)
        {
            item!.AsObject().ContainsKey("b64_json").ShouldBeFalse();
            var url = new Uri(item["url"]!.GetValue<string>());
            url.AbsolutePath.ShouldEndWith(".png");
            var file = await gateway.Anonymous.GetAsync(url.PathAndQuery);
            file.StatusCode.ShouldBe(HttpStatusCode.OK);
            file.Content.Headers.ContentType!.MediaType.ShouldBe("image/png");
            (await file.Content.ReadAsByteArrayAsync()).ShouldBe(FakeProviders.Png);
        }

        var command = gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == prompt);
        command.Operation.ShouldBe("text-to-image");
        command.NumImages.ShouldBe(2);
        (command.Width, command.Height).ShouldBe((512, 256));
        command.Quality.ShouldBe("hd");
        command.Style.ShouldBe("vivid");
        command.Async.ShouldBeFalse();
    }

    [Fact]
    public async Task Answers_inline_base64_images_for_b64_json_and_defaults_to_1024_square()
    {
        var prompt = "b64 " + Guid.NewGuid().ToString("N");

        var body = await GatewayFixture.ReadJsonAsync(await gateway.PostJsonAsync("/v1/images/generations",
            $$$"""{"model":"local/pixel-1","prompt":"{{{prompt}}}","response_format":"b64_json","size":"auto","stream":false}"""));

        var item = body["data"]!.AsArray().ShouldHaveSingleItem()!;
        item.AsObject().ContainsKey("url").ShouldBeFalse();
        Convert.FromBase64String(item["b64_json"]!.GetValue<string>()).ShouldBe(FakeProviders.Png);
        var command = gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == prompt);
        (command.Width, command.Height).ShouldBe((1024, 1024));
    }

    [Fact]
    public async Task Without_response_format_a_model_answers_in_its_catalog_default_and_url_otherwise()
    {
        // openai/gpt-image-1's catalog image_response_format is b64_json: OpenAI's gpt-image answers only base64, and the
        // code written for it reads data[0].b64_json without asking.
        var gptImage = (await GatewayFixture.ReadJsonAsync(await gateway.PostJsonAsync("/v1/images/generations",
            """{"model":"openai/gpt-image-1","prompt":"a lighthouse"}"""))) ["data"]!.AsArray().ShouldHaveSingleItem()!.AsObject();
        gptImage.ContainsKey("url").ShouldBeFalse();
        Convert.FromBase64String(gptImage["b64_json"]!.GetValue<string>()).ShouldBe(FakeProviders.Png);

        // Asked for, a link still comes back; a model that says nothing answers url, OpenAI's default for dall-e.
        var asked = (await GatewayFixture.ReadJsonAsync(await gateway.PostJsonAsync("/v1/images/generations",
            """{"model":"openai/gpt-image-1","prompt":"a lighthouse","response_format":"url"}"""))) ["data"]!.AsArray().ShouldHaveSingleItem()!.AsObject();
        asked.ContainsKey("b64_json").ShouldBeFalse();
        asked["url"]!.GetValue<string>().ShouldStartWith("http");
        var local = (await GatewayFixture.ReadJsonAsync(await gateway.PostJsonAsync("/v1/images/generations",
            """{"model":"local/pixel-1","prompt":"a lighthouse"}"""))) ["data"]!.AsArray().ShouldHaveSingleItem()!.AsObject();
        local.ContainsKey("b64_json").ShouldBeFalse();
        local["url"]!.GetValue<string>().ShouldStartWith("http");
    }

    [Fact]
    public async Task Carries_gpt_images_output_options_to_a_model_that_lists_them_and_only_the_defaults_to_one_that_does_not()
    {
        var prompt = "options " + Guid.NewGuid().ToString("N");

        var response = await gateway.PostJsonAsync("/v1/images/generations",
            $$$"""{"model":"openai/gpt-image-1","prompt":"{{{prompt}}}","output_format":"webp","output_compression":70,"background":"transparent","moderation":"low"}""");

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var command = gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == prompt);
        (command.OutputFormat, command.OutputCompression, command.Background, command.Moderation).ShouldBe(("webp", 70, "transparent", "low"));

        // local/pixel-1 lists none: the defaults pass and are not carried, anything else is refused naming the field.
        var local = "defaults " + Guid.NewGuid().ToString("N");
        (await gateway.PostJsonAsync("/v1/images/generations", $$$"""{"model":"local/pixel-1","prompt":"{{{local}}}","output_format":"png","background":"auto"}"""))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        var plain = gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == local);
        (plain.OutputFormat, plain.Background).ShouldBe((null, null));
        var refused = await GatewayFixture.ShouldBeErrorAsync(
            await gateway.PostJsonAsync("/v1/images/generations", """{"model":"local/pixel-1","prompt":"x","output_format":"webp"}"""),
            HttpStatusCode.BadRequest, "invalid_request_error", "unsupported_parameter");
        refused["message"]!.GetValue<string>().ShouldContain("local/pixel-1");
    }

    [Theory]
    [InlineData("openai/dall-e-3", "512x512", "1024x1024, 1792x1024, 1024x1792")]
    [InlineData("openai/dall-e-2", "768x768", "256x256, 512x512, 1024x1024")]
    [InlineData("openai/gpt-image-1", "64x64", "1024x1024, 1536x1024, 1024x1536")]
    [InlineData("stabilityai/stable-diffusion-xl-1024-v1-0", "512x512", "1024x1024, 1152x896")]
    public async Task A_size_the_model_does_not_make_is_a_400_listing_its_sizes_before_dispatch(string model, string size, string listed)
    {
        var prompt = "size " + Guid.NewGuid().ToString("N");

        var error = await GatewayFixture.ShouldBeErrorAsync(await gateway.PostJsonAsync("/v1/images/generations",
            $$$"""{"model":"{{{model}}}","prompt":"{{{prompt}}}","size":"{{{size}}}"}"""), HttpStatusCode.BadRequest, "invalid_request_error", "invalid_request");

        error["param"]!.GetValue<string>().ShouldBe("size");
        error["message"]!.GetValue<string>().ShouldContain(listed);
        gateway.Providers.ImageCommands.Values.ShouldNotContain(c => c.Prompt == prompt);
    }

    [Fact]
    public async Task A_size_the_model_makes_and_sizes_of_a_model_without_a_list_reach_the_provider()
    {
        var wide = "wide " + Guid.NewGuid().ToString("N");
        var local = "any " + Guid.NewGuid().ToString("N");

        (await gateway.PostJsonAsync("/v1/images/generations", $$$"""{"model":"openai/dall-e-3","prompt":"{{{wide}}}","size":"1792x1024"}""")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await gateway.PostJsonAsync("/v1/images/generations", $$$"""{"model":"local/pixel-1","prompt":"{{{local}}}","size":"200x136"}""")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var command = gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == wide);
        (command.Width, command.Height).ShouldBe((1792, 1024));
        var any = gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == local);
        (any.Width, any.Height).ShouldBe((200, 136));
    }

    [Theory]
    [InlineData("openai/gpt-image-1", "vivid", "unsupported_parameter")]
    [InlineData("openai/dall-e-2", "natural", "unsupported_parameter")]
    public async Task A_style_the_model_does_not_take_is_a_400_before_dispatch(string model, string style, string code)
    {
        var prompt = "style " + Guid.NewGuid().ToString("N");

        var error = await GatewayFixture.ShouldBeErrorAsync(await gateway.PostJsonAsync("/v1/images/generations",
            $$$"""{"model":"{{{model}}}","prompt":"{{{prompt}}}","style":"{{{style}}}"}"""), HttpStatusCode.BadRequest, "invalid_request_error", code);

        error["param"]!.GetValue<string>().ShouldBe("style");
        gateway.Providers.ImageCommands.Values.ShouldNotContain(c => c.Prompt == prompt);
        var dallE3 = "dall-e-3 style " + Guid.NewGuid().ToString("N");
        (await gateway.PostJsonAsync("/v1/images/generations", $$$"""{"model":"openai/dall-e-3","prompt":"{{{dallE3}}}","style":"natural"}""")).StatusCode.ShouldBe(HttpStatusCode.OK);
        gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == dallE3).Style.ShouldBe("natural");
    }

    [Theory]
    [InlineData("/v1/images/generations", "hd")]
    [InlineData("/v1/images/generations", "high")]
    [InlineData("/v1/images/generate", "hd")]
    public async Task A_quality_the_model_cannot_make_is_a_400_listing_its_qualities_before_dispatch(string path, string quality)
    {
        var prompt = "quality " + Guid.NewGuid().ToString("N");
        var body = path == "/v1/images/generations"
            ? $$$"""{"model":"openai/dall-e-2","prompt":"{{{prompt}}}","quality":"{{{quality}}}"}"""
            : $$$"""{"model":"openai/dall-e-2","contents":[{"text":"{{{prompt}}}"}],"parameters":{"quality":"{{{quality}}}"}}""";

        var error = await GatewayFixture.ShouldBeErrorAsync(await gateway.PostJsonAsync(path, body), HttpStatusCode.BadRequest, "invalid_request_error", "unsupported_parameter");

        error["param"]!.GetValue<string>().ShouldBe(path == "/v1/images/generations" ? "quality" : "parameters.quality");
        error["message"]!.GetValue<string>().ShouldContain("standard, low, medium, auto");
        gateway.Providers.ImageCommands.Values.ShouldNotContain(c => c.Prompt == prompt);
    }

    [Fact]
    public async Task A_quality_the_model_lists_and_qualities_of_a_model_without_a_list_reach_the_provider()
    {
        var dallE2 = "standard " + Guid.NewGuid().ToString("N");
        var local = "hd local " + Guid.NewGuid().ToString("N");

        (await gateway.PostJsonAsync("/v1/images/generations", $$$"""{"model":"openai/dall-e-2","prompt":"{{{dallE2}}}","quality":"standard","size":"512x512"}""")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await gateway.PostJsonAsync("/v1/images/generations", $$$"""{"model":"local/pixel-1","prompt":"{{{local}}}","quality":"hd"}""")).StatusCode.ShouldBe(HttpStatusCode.OK);

        gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == dallE2).Quality.ShouldBe("standard");
        gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == local).Quality.ShouldBe("hd");
    }

    [Fact]
    public async Task Images_generate_refuses_explicit_pixels_the_model_does_not_make_and_leaves_a_bare_shape_to_the_adapter()
    {
        var pixels = "pixels " + Guid.NewGuid().ToString("N");
        var shape = "shape " + Guid.NewGuid().ToString("N");

        var error = await GatewayFixture.ShouldBeErrorAsync(await gateway.PostJsonAsync("/v1/images/generate",
            $$$"""{"model":"openai/dall-e-3","contents":[{"text":"{{{pixels}}}"}],"parameters":{"width":512,"height":512}}"""),
            HttpStatusCode.BadRequest, "invalid_request_error", "invalid_request");
        var shaped = await gateway.PostJsonAsync("/v1/images/generate",
            $$$"""{"model":"openai/dall-e-3","contents":[{"text":"{{{shape}}}"}],"parameters":{"aspect_ratio":"16:9"}}""");

        error["param"]!.GetValue<string>().ShouldBe("parameters.width");
        gateway.Providers.ImageCommands.Values.ShouldNotContain(c => c.Prompt == pixels);
        shaped.StatusCode.ShouldBe(HttpStatusCode.OK);
        var command = gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == shape);
        command.AspectRatio.ShouldBe("16:9"); // the adapter picks dall-e-3's 1792x1024 for it
    }

    /// <summary>The events of a text/event-stream body: (event name, data as JSON).</summary>
    internal static List<(string Event, JsonNode Data)> ImageEvents(string body) =>
        [.. body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(block =>
        {
            var lines = block.Split('\n');
            return (lines.Single(l => l.StartsWith("event: ", StringComparison.Ordinal))[7..],
                JsonNode.Parse(lines.Single(l => l.StartsWith("data: ", StringComparison.Ordinal))[6..])!);
        })];

    [Fact]
    public async Task Stream_true_answers_one_completed_event_per_image_in_base64_as_openais_image_streams_do()
    {
        var prompt = "stream [no-partials] " + Guid.NewGuid().ToString("N");

        var response = await gateway.PostJsonAsync("/v1/images/generations",
            $$$"""{"model":"local/pixel-1","prompt":"{{{prompt}}}","n":2,"size":"512x256","stream":true,"partial_images":2}""");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        var events = ImageEvents(await response.Content.ReadAsStringAsync());
        events.Count.ShouldBe(2); // the provider drew no partial image: OpenAI allows the final image before them
        foreach (var (name, data) in events)
        {
            name.ShouldBe("image_generation.completed");
            data["type"]!.GetValue<string>().ShouldBe("image_generation.completed");
            Convert.FromBase64String(data["b64_json"]!.GetValue<string>()).ShouldBe(FakeProviders.Png);
            data["size"]!.GetValue<string>().ShouldBe("512x256");
            data["output_format"]!.GetValue<string>().ShouldBe("png");
            data["created_at"]!.GetValue<long>().ShouldBeGreaterThan(0);
        }

        var command = gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == prompt);
        command.NumImages.ShouldBe(2);
        command.PartialImages.ShouldBe(2); // local/pixel-1 lists partial_images
    }

    [Fact]
    public async Task Stream_true_relays_each_partial_image_as_it_comes_then_the_completed_images()
    {
        var prompt = "partials [slow-result] " + Guid.NewGuid().ToString("N");

        var response = await gateway.PostJsonAsync("/v1/images/generations",
            $$$"""{"model":"local/pixel-1","prompt":"{{{prompt}}}","n":2,"size":"512x256","quality":"low","stream":true,"partial_images":2}""");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        var events = ImageEvents(await response.Content.ReadAsStringAsync());
        events.Select(e => e.Event).ShouldBe([
            "image_generation.partial_image", "image_generation.partial_image", "image_generation.partial_image", "image_generation.partial_image",
            "image_generation.completed", "image_generation.completed"]);
        events.Take(4).Select(e => e.Data["partial_image_index"]!.GetValue<int>()).ShouldBe([0, 1, 0, 1]);
        foreach (var (_, data) in events.Take(4))
        {
            data["type"]!.GetValue<string>().ShouldBe("image_generation.partial_image");
            Convert.FromBase64String(data["b64_json"]!.GetValue<string>()).ShouldBe(FakeProviders.PartialPng);
            data["size"]!.GetValue<string>().ShouldBe("512x256");
            data["quality"]!.GetValue<string>().ShouldBe("low");
            data["background"]!.GetValue<string>().ShouldBe("auto");
            data["output_format"]!.GetValue<string>().ShouldBe("png");
            data["created_at"]!.GetValue<long>().ShouldBeGreaterThan(0);
        }

        foreach (var (_, data) in events.Skip(4))
        {
            Convert.FromBase64String(data["b64_json"]!.GetValue<string>()).ShouldBe(FakeProviders.Png);
        }

        var job = gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == prompt).JobId;
        (await PartialSubscribersAsync(job)).ShouldBe(0); // unsubscribed with the request's end
    }

    private async Task<long> PartialSubscribersAsync(Guid jobId)
    {
        var channel = CCApi.Storage.RedisKeys.JobPartialsChannel(jobId);
        long count = -1;
        await TestInfrastructure.EventuallyAsync(async () =>
        {
            var answer = (StackExchange.Redis.RedisResult[])(await gateway.Redis.GetDatabase().ExecuteAsync("PUBSUB", "NUMSUB", channel))!;
            count = (long)answer[1];
            return count == 0;
        }, TimeSpan.FromSeconds(5));
        return count;
    }

    [Fact]
    public async Task A_provider_failure_after_partial_images_ends_the_stream_with_an_error_event()
    {
        var prompt = "[fail:502] [slow-result] " + Guid.NewGuid().ToString("N");

        var response = await gateway.PostJsonAsync("/v1/images/generations",
            $$$"""{"model":"local/pixel-1","prompt":"{{{prompt}}}","stream":true,"partial_images":1}""");

        response.StatusCode.ShouldBe(HttpStatusCode.OK); // the partial went out with the 200
        var events = ImageEvents(await response.Content.ReadAsStringAsync());
        events.Select(e => e.Event).ShouldBe(["image_generation.partial_image", "error"]);
        var error = events[1].Data["error"]!;
        error["type"]!.GetValue<string>().ShouldBe("api_error");
        error["code"]!.GetValue<string>().ShouldBe("provider_error");
        error["message"]!.GetValue<string>().ShouldBe("fake provider failed with 502");
    }

    [Fact]
    public async Task A_model_that_draws_no_partial_images_is_not_asked_for_them_and_streams_its_images()
    {
        var prompt = "dall-e stream " + Guid.NewGuid().ToString("N");

        var response = await gateway.PostJsonAsync("/v1/images/generations",
            $$$"""{"model":"openai/dall-e-3","prompt":"{{{prompt}}}","stream":true,"partial_images":3}""");

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        ImageEvents(await response.Content.ReadAsStringAsync()).Select(e => e.Event).ShouldBe(["image_generation.completed"]);
        gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == prompt).PartialImages.ShouldBe(0);
    }

    [Fact]
    public async Task Partial_images_are_not_asked_for_without_stream_or_with_zero()
    {
        var prompt = "zero partials " + Guid.NewGuid().ToString("N");
        var unstreamed = "unstreamed " + Guid.NewGuid().ToString("N");

        var response = await gateway.PostJsonAsync("/v1/images/generations",
            $$$"""{"model":"local/pixel-1","prompt":"{{{prompt}}}","stream":true,"partial_images":0}""");
        var json = await gateway.PostJsonAsync("/v1/images/generations",
            $$$"""{"model":"local/pixel-1","prompt":"{{{unstreamed}}}","stream":false,"partial_images":0}""");

        ImageEvents(await response.Content.ReadAsStringAsync()).Select(e => e.Event).ShouldBe(["image_generation.completed"]);
        gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == prompt).PartialImages.ShouldBe(0);
        json.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == unstreamed).PartialImages.ShouldBe(0);
    }

    [Fact]
    public async Task A_gpt_image_answer_carries_the_providers_token_usage_and_account_of_the_images_as_openai_does()
    {
        var prompt = "account " + Guid.NewGuid().ToString("N");

        var body = await GatewayFixture.ReadJsonAsync(await gateway.PostJsonAsync("/v1/images/generations",
            $$$"""{"model":"openai/gpt-image-1","prompt":"{{{prompt}}}","size":"1536x1024","quality":"auto"}"""));

        body["size"]!.GetValue<string>().ShouldBe("1536x1024");
        body["quality"]!.GetValue<string>().ShouldBe("high"); // the tier the provider used for auto
        body["background"]!.GetValue<string>().ShouldBe("opaque");
        body["output_format"]!.GetValue<string>().ShouldBe("png");
        var usage = body["usage"]!;
        (usage["input_tokens"]!.GetValue<int>(), usage["output_tokens"]!.GetValue<int>(), usage["total_tokens"]!.GetValue<int>()).ShouldBe((50, 272, 322));

        var stream = ImageEvents(await (await gateway.PostJsonAsync("/v1/images/generations",
            $$$"""{"model":"openai/gpt-image-1","prompt":"{{{prompt}}} stream","stream":true}""")).Content.ReadAsStringAsync());
        var completed = stream.ShouldHaveSingleItem().Data;
        completed["quality"]!.GetValue<string>().ShouldBe("high");
        completed["usage"]!["total_tokens"]!.GetValue<int>().ShouldBe(322);
    }

    [Fact]
    public async Task Other_models_answer_their_size_and_what_was_asked_without_a_token_usage()
    {
        var body = await GatewayFixture.ReadJsonAsync(await gateway.PostJsonAsync("/v1/images/generations",
            $$$"""{"model":"local/pixel-1","prompt":"plain {{{Guid.NewGuid():N}}}","size":"512x256","quality":"hd"}"""));

        body["size"]!.GetValue<string>().ShouldBe("512x256");
        body["quality"]!.GetValue<string>().ShouldBe("hd");
        body.AsObject().ContainsKey("usage").ShouldBeFalse();
        body.AsObject().ContainsKey("output_format").ShouldBeFalse();
    }

    [Fact]
    public async Task A_streamed_request_that_fails_before_its_images_answers_the_usual_json_error()
    {
        var response = await gateway.PostJsonAsync("/v1/images/generations", """{"model":"local/nope-1","prompt":"x","stream":true}""");

        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        await GatewayFixture.ShouldBeErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "model_not_found");
    }

    [Fact]
    public async Task Rejects_an_asynchronous_model_naming_model_and_pointing_to_images_generate()
    {
        var response = await gateway.PostJsonAsync("/v1/images/generations", """{"model":"local/pixel-async-1","prompt":"x"}""");

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var error = (await GatewayFixture.ReadJsonAsync(response))["error"]!;
        error["details"]!["param"]!.GetValue<string>().ShouldBe("model");
        error["message"]!.GetValue<string>().ShouldContain("/v1/images/generate");
    }
}

[Collection(GatewayCollection.Name)]
public sealed class ImageGenerateTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Answers_200_completed_with_sync_execution_for_a_sync_model()
    {
        var prompt = "watercolor " + Guid.NewGuid().ToString("N");

        var response = await gateway.PostJsonAsync("/v1/images/generate", $$$"""
            {"model":"local/pixel-1","contents":[{"text":"{{{prompt}}}"}],
             "parameters":{"aspect_ratio":"16:9","quality":"hd","num_images":1,"seed":5,"steps":30,"guidance_scale":7.5,"negative_prompt":"blur"}}
            """);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await GatewayFixture.ReadJsonAsync(response);
        body["id"]!.GetValue<string>().ShouldMatch("^img_[0-9a-f]{32}$");
        body["model"]!.GetValue<string>().ShouldBe("local/pixel-1");
        body["status"]!.GetValue<string>().ShouldBe("completed");
        body["execution"]!["mode"]!.GetValue<string>().ShouldBe("sync");
        body["execution"]!["operation"]!.GetValue<string>().ShouldBe("text-to-image");
        body["execution"]!["provider"]!.GetValue<string>().ShouldBe("local");
        var item = body["data"]!.AsArray().ShouldHaveSingleItem()!;
        item["url"]!.GetValue<string>().ShouldContain("/v1/files/");
        item["seed"]!.GetValue<long>().ShouldBe(5);
        item["revised_prompt"]!.GetValue<string>().ShouldBe("revised: " + prompt);
        body.AsObject().ContainsKey("poll_url").ShouldBeFalse();
        body.AsObject().ContainsKey("error").ShouldBeFalse();

        var command = gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == prompt);
        (command.Width, command.Height).ShouldBe((1024, 576));
        command.AspectRatio.ShouldBe("16:9");
        command.Steps.ShouldBe(30);
        command.GuidanceScale.ShouldBe(7.5);
        command.NegativePrompt.ShouldBe("blur");
        command.Inputs.ShouldBeNull();
    }

    [Fact]
    public async Task Takes_gpt_images_output_options_in_parameters_for_a_model_that_lists_them()
    {
        var prompt = "generate options " + Guid.NewGuid().ToString("N");

        var response = await gateway.PostJsonAsync("/v1/images/generate", $$$"""
            {"model":"openai/gpt-image-1","contents":[{"text":"{{{prompt}}}"}],
             "parameters":{"output_format":"jpeg","output_compression":60,"background":"opaque","moderation":"low"}}
            """);

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var command = gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == prompt);
        (command.OutputFormat, command.OutputCompression, command.Background, command.Moderation).ShouldBe(("jpeg", 60, "opaque", "low"));

        // A model that lists none: the defaults pass uncarried, another value is refused naming parameters.<field>.
        var local = "generate defaults " + Guid.NewGuid().ToString("N");
        (await gateway.PostJsonAsync("/v1/images/generate", $$$"""{"model":"local/pixel-1","contents":[{"text":"{{{local}}}"}],"parameters":{"output_format":"png"}}"""))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == local).OutputFormat.ShouldBeNull();
        var refused = await GatewayFixture.ShouldBeErrorAsync(
            await gateway.PostJsonAsync("/v1/images/generate", """{"model":"local/pixel-1","contents":[{"text":"x"}],"parameters":{"background":"transparent"}}"""),
            HttpStatusCode.BadRequest, "invalid_request_error", "unsupported_parameter");
        refused["param"]!.GetValue<string>().ShouldBe("parameters.background");
        (await GatewayFixture.ShouldBeErrorAsync(
            await gateway.PostJsonAsync("/v1/images/generate", """{"model":"openai/gpt-image-1","contents":[{"text":"x"}],"parameters":{"output_compression":101}}"""),
            HttpStatusCode.BadRequest, "invalid_request_error", "invalid_request"))["param"]!.GetValue<string>().ShouldBe("parameters.output_compression");
    }

    [Theory]
    [InlineData("""{"model":"local/pixel-1","contents":[{"text":"x"}],"n":3}""", "n", "here it is parameters.num_images")]
    [InlineData("""{"model":"local/pixel-1","contents":[{"text":"x"}],"size":"256x256"}""", "size", "parameters.width")]
    [InlineData("""{"model":"local/pixel-1","prompt":"x"}""", "prompt", "contents[].text")]
    [InlineData("""{"model":"local/pixel-1","contents":[{"text":"x"}],"stream":true}""", "stream", "does not take it")]
    [InlineData("""{"model":"local/pixel-1","contents":[{"text":"x"}],"parameters":{"num_images":1,"n":3}}""", "parameters.n", "use parameters.num_images")]
    [InlineData("""{"model":"local/pixel-1","contents":[{"text":"x"}],"parameters":{"zzz":1}}""", "parameters.zzz", "it takes num_images, width")]
    public async Task A_field_the_multimodal_route_does_not_take_is_a_400_naming_it_not_a_different_image(string body, string param, string said)
    {
        var error = await GatewayFixture.ShouldBeErrorAsync(await gateway.PostJsonAsync("/v1/images/generate", body),
            HttpStatusCode.BadRequest, "invalid_request_error", "unsupported_parameter");

        error["param"]!.GetValue<string>().ShouldBe(param);
        error["message"]!.GetValue<string>().ShouldContain(said);
    }

    [Fact]
    public async Task An_unknown_top_level_field_of_the_multimodal_route_is_ignored()
    {
        var prompt = "unknown field " + Guid.NewGuid().ToString("N");

        var response = await gateway.PostJsonAsync("/v1/images/generate",
            $$$"""{"model":"local/pixel-1","contents":[{"text":"{{{prompt}}}"}],"parameters":{"num_images":2},"zzz":{"nested":[1,2]}}""");

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == prompt).NumImages.ShouldBe(2);
    }

    [Fact]
    public async Task A_sync_model_with_a_webhook_url_registers_its_job_for_the_webhook_and_still_answers_200()
    {
        var prompt = "sync hook " + Guid.NewGuid().ToString("N");

        var response = await gateway.PostJsonAsync("/v1/images/generate", $$$"""
            {"model":"local/pixel-1","contents":[{"text":"{{{prompt}}}"}],"parameters":{"response_format":"b64_json"},"webhook_url":"https://hooks.example.com/sync"}
            """);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await GatewayFixture.ReadJsonAsync(response);
        body["status"]!.GetValue<string>().ShouldBe("completed");
        body["execution"]!["mode"]!.GetValue<string>().ShouldBe("sync");
        Convert.FromBase64String(body["data"]![0]!["b64_json"]!.GetValue<string>()).ShouldBe(FakeProviders.Png);
        var jobId = Guid.ParseExact(body["id"]!.GetValue<string>()[4..], "N");
        var registration = gateway.Providers.Registrations[jobId]; // before the command: JobStatus sends the webhook from its record
        (registration.Mode, registration.WebhookUrl, registration.ResponseFormat).ShouldBe(("sync", "https://hooks.example.com/sync", "b64_json"));
        registration.Route.OwnerId.ShouldBe(gateway.KeyId);
        var command = gateway.Providers.ImageCommands[jobId];
        (command.Async, command.Registered).ShouldBe((false, true)); // the adapter publishes the outcome as an event too

        // Without a webhook_url nothing is registered and the outcome needs no event.
        var plain = "sync plain " + Guid.NewGuid().ToString("N");
        (await gateway.PostJsonAsync("/v1/images/generate", $$$"""{"model":"local/pixel-1","contents":[{"text":"{{{plain}}}"}]}"""))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        var plainCommand = gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == plain);
        plainCommand.Registered.ShouldBeFalse();
        gateway.Providers.Registrations.ContainsKey(plainCommand.JobId).ShouldBeFalse();
    }

    [Fact]
    public async Task A_failed_sync_job_with_a_webhook_is_ended_failed_so_its_webhook_reports_the_error()
    {
        var prompt = "sync hook fails [fail:503] " + Guid.NewGuid().ToString("N");

        var error = await GatewayFixture.ShouldBeErrorAsync(
            await gateway.PostJsonAsync("/v1/images/generate", $$$"""
                {"model":"local/pixel-1","contents":[{"text":"{{{prompt}}}"}],"webhook_url":"https://hooks.example.com/sync"}
                """),
            HttpStatusCode.ServiceUnavailable, "api_error", "provider_error");

        error["message"]!.GetValue<string>().ShouldContain("fake provider failed");
        var jobId = gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == prompt).JobId;
        gateway.Providers.Registrations.ContainsKey(jobId).ShouldBeTrue();
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(gateway.Providers.FailedEvents.ContainsKey(jobId)), TimeSpan.FromSeconds(10)))
            .ShouldBeTrue("the registered job ends failed, whoever published it first");
        gateway.Providers.FailedEvents[jobId].Error.Status.ShouldBe(503);
    }

    [Fact]
    public async Task Stores_inline_images_as_blobs_and_derives_inpainting_from_a_mask()
    {
        var prompt = "inpaint " + Guid.NewGuid().ToString("N");
        var png = Convert.ToBase64String(FakeProviders.Png);

        var response = await gateway.PostJsonAsync("/v1/images/generate", $$$"""
            {"model":"local/pixel-1","contents":[
              {"text":"{{{prompt}}}","image":{"data":"data:image/png;base64,{{{png}}}"},"mask":{"data":"{{{png}}}","mime_type":"image/png"}}],
             "parameters":{"width":320,"height":200,"aspect_ratio":"1:1","strength":0.4,"response_format":"b64_json"}}
            """);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await GatewayFixture.ReadJsonAsync(response);
        body["execution"]!["operation"]!.GetValue<string>().ShouldBe("inpainting");
        Convert.FromBase64String(body["data"]![0]!["b64_json"]!.GetValue<string>()).ShouldBe(FakeProviders.Png);

        var command = gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == prompt);
        (command.Width, command.Height).ShouldBe((320, 200));
        command.Strength.ShouldBe(0.4);
        var inputs = command.Inputs.ShouldNotBeNull();
        inputs.Count.ShouldBe(2);
        inputs[0].IsMask.ShouldBeFalse();
        inputs[1].IsMask.ShouldBeTrue();
        inputs.Select(i => i.Field).ShouldBe(["contents[0].image", "contents[0].mask"]); // what the adapter's 400s name
        foreach (var input in inputs)
        {
            input.Url.ShouldBeNull();
            input.MimeType.ShouldBe("image/png");
            var blob = await gateway.Factory.Services.GetRequiredService<CCApi.Storage.IBlobStore>().GetAsync(input.Blob!.Id);
            blob.ShouldNotBeNull().Bytes.ShouldBe(FakeProviders.Png);
        }
    }

    [Theory]
    [InlineData("""[{"text":"a"},{"image":{"url":"https://example.com/a.png"}}]""", "image-to-image", "contents[1].image")]
    [InlineData("""[{"image":{"url":"https://example.com/a.png"}},{"image":{"url":"http://example.com/b.png"}}]""", "multi-image-remix", "contents[0].image,contents[1].image")]
    public async Task Derives_the_operation_from_the_contents_and_passes_urls_for_the_adapter_to_fetch(string contents, string operation, string fields)
    {
        var marker = Guid.NewGuid().ToString("N");
        var request = new JsonObject
        {
            ["model"] = "local/pixel-1",
            ["contents"] = JsonNode.Parse(contents),
            ["parameters"] = new JsonObject { ["negative_prompt"] = marker },
        };

        var body = await GatewayFixture.ReadJsonAsync(await gateway.PostJsonAsync("/v1/images/generate", request));

        body["execution"]!["operation"]!.GetValue<string>().ShouldBe(operation);
        var command = gateway.Providers.ImageCommands.Values.Single(c => c.NegativePrompt == marker);
        command.Operation.ShouldBe(operation);
        command.Inputs.ShouldNotBeNull().ShouldAllBe(i => i.Url != null && i.Blob == null);
        // The field each came from, which the adapter names when it cannot fetch it (not its place among the images).
        command.Inputs.Select(i => i.Field).ShouldBe(fields.Split(','));
    }

    [Fact]
    public async Task Rejects_an_operation_the_model_does_not_support_naming_contents()
    {
        var png = Convert.ToBase64String(FakeProviders.Png);

        var response = await gateway.PostJsonAsync("/v1/images/generate", $$$"""
            {"model":"stabilityai/stable-diffusion-xl-1024-v1-0","contents":[{"text":"x","image":{"data":"{{{png}}}"}},{"image":{"data":"{{{png}}}"}}]}
            """);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var error = (await GatewayFixture.ReadJsonAsync(response))["error"]!;
        error["details"]!["param"]!.GetValue<string>().ShouldBe("contents");
        error["message"]!.GetValue<string>().ShouldContain("multi-image-remix");
    }
}

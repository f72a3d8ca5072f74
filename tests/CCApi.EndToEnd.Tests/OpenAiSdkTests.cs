using System.ClientModel;
using System.Text.Json;
using OpenAI.Audio;
using OpenAI.Chat;
using OpenAI.Images;

namespace CCApi.EndToEnd.Tests;

/// <summary>The official OpenAI .NET SDK pointed at the gateway's base URL works for models, chat, streaming, tools, speech and images.</summary>
public sealed class OpenAiSdkTests(PlatformFixture platform) : PlatformTest(platform)
{
    [Fact]
    public async Task Models_list_contains_the_local_demo_models()
    {
        var models = (await Sdk.GetOpenAIModelClient().GetModelsAsync()).Value;

        models.Select(m => m.Id).ShouldContain("local/echo-1");
        models.Select(m => m.Id).ShouldContain("local/pixel-1");
        models.Select(m => m.Id).ShouldContain("local/espeak-1");
        models.First(m => m.Id == "local/echo-1").OwnedBy.ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task Models_retrieve_reads_one_model_by_its_slashed_id()
    {
        var model = (await Sdk.GetOpenAIModelClient().GetModelAsync("openai/gpt-4o-mini")).Value;

        model.Id.ShouldBe("openai/gpt-4o-mini");
        model.OwnedBy.ShouldNotBeNullOrEmpty();
        var missing = await Should.ThrowAsync<ClientResultException>(() => Sdk.GetOpenAIModelClient().GetModelAsync("openai/no-such-model"));
        missing.Status.ShouldBe(404);
    }

    [Fact]
    public async Task Chat_completion_answers_deterministically_with_usage()
    {
        var chat = Sdk.GetChatClient("local/echo-1");
        ChatMessage[] messages = [new SystemChatMessage("You are a precise assistant."), new UserChatMessage("Outline a launch plan for CCAPI.")];

        var first = (await chat.CompleteChatAsync(messages)).Value;
        var second = (await chat.CompleteChatAsync(messages)).Value;

        first.Content[0].Text.ShouldNotBeNullOrWhiteSpace();
        second.Content[0].Text.ShouldBe(first.Content[0].Text);
        first.Model.ShouldBe("local/echo-1");
        first.FinishReason.ShouldBe(ChatFinishReason.Stop);
        first.Usage.InputTokenCount.ShouldBeGreaterThan(0);
        first.Usage.OutputTokenCount.ShouldBeGreaterThan(0);
        first.Usage.TotalTokenCount.ShouldBe(first.Usage.InputTokenCount + first.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task Max_tokens_truncates_with_finish_reason_length()
    {
        var chat = Sdk.GetChatClient("local/echo-1");

        var result = (await chat.CompleteChatAsync(
            [new UserChatMessage("Describe, at length and in detail, how a message travels through the whole Platform.")],
            new ChatCompletionOptions { MaxOutputTokenCount = 3 })).Value;

        result.FinishReason.ShouldBe(ChatFinishReason.Length);
        result.Usage.OutputTokenCount.ShouldBeLessThanOrEqualTo(3);
    }

    [Fact]
    public async Task Streaming_yields_the_same_text_as_the_non_streaming_answer_and_usage_last()
    {
        var chat = Sdk.GetChatClient("local/echo-1");
        ChatMessage[] messages = [new UserChatMessage("Stream me a short answer about RabbitMQ.")];
        var expected = (await chat.CompleteChatAsync(messages)).Value.Content[0].Text;

        var text = new System.Text.StringBuilder();
        var updates = 0;
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in chat.CompleteChatStreamingAsync(messages))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
            update.Model.ShouldBe("local/echo-1");
        }

        updates.ShouldBeGreaterThan(2);
        text.ToString().ShouldBe(expected);
        finish.ShouldBe(ChatFinishReason.Stop);
        usage.ShouldNotBeNull();
        usage.OutputTokenCount.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Structured_outputs_answer_json_matching_the_schema_and_json_mode_a_json_object()
    {
        var chat = Sdk.GetChatClient("local/echo-1");
        const string Schema = """
            {"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},
             "required":["city","unit"],"additionalProperties":false}
            """;
        var structured = (await chat.CompleteChatAsync([new UserChatMessage("What's the weather in Paris?")], new ChatCompletionOptions
        {
            ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("weather", BinaryData.FromString(Schema), jsonSchemaIsStrict: true),
        })).Value;

        using var answer = JsonDocument.Parse(structured.Content[0].Text);
        answer.RootElement.GetProperty("city").GetString().ShouldBe("Paris");
        answer.RootElement.GetProperty("unit").GetString().ShouldBeOneOf("celsius", "fahrenheit");
        answer.RootElement.EnumerateObject().Count().ShouldBe(2);

        var json = (await chat.CompleteChatAsync([new UserChatMessage("Outline a launch plan")], new ChatCompletionOptions
        {
            ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat(),
        })).Value;
        JsonDocument.Parse(json.Content[0].Text).RootElement.ValueKind.ShouldBe(JsonValueKind.Object);
    }

    [Fact]
    public async Task Asking_for_n_choices_answers_each_in_its_place_streamed_or_not_and_bills_every_one()
    {
        // The SDK's typed ChatCompletion shows the first choice only; its protocol method sends n and reads them all.
        var chat = Sdk.GetChatClient("local/echo-1");
        const string Request = """{"model":"local/echo-1","messages":[{"role":"user","content":"Two takes on the launch, please"}]""";
        JsonNode Complete(string extra) => JsonNode.Parse(chat.CompleteChat(BinaryContent.Create(BinaryData.FromString(Request + extra + "}"))).GetRawResponse().Content.ToString())!;
        var one = Complete("");
        var text = one["choices"]![0]!["message"]!["content"]!.GetValue<string>();
        var tokens = one["usage"]!["completion_tokens"]!.GetValue<int>();

        var two = Complete(""","n":2""");
        var choices = two["choices"]!.AsArray();
        choices.Select(c => c!["index"]!.GetValue<int>()).ShouldBe([0, 1]);
        choices.ShouldAllBe(c => c!["message"]!["content"]!.GetValue<string>() == text && c["finish_reason"]!.GetValue<string>() == "stop");
        two["usage"]!["completion_tokens"]!.GetValue<int>().ShouldBe(2 * tokens);

        using var client = Platform.CreateClient();
        using var streamed = await client.PostAsync("/v1/chat/completions", new StringContent(
            Request + ""","n":2,"stream":true,"stream_options":{"include_usage":true}}""", System.Text.Encoding.UTF8, "application/json"));
        streamed.StatusCode.ShouldBe(HttpStatusCode.OK);
        var chunks = (await streamed.Content.ReadAsStringAsync()).Split('\n').Where(l => l.StartsWith("data: {", StringComparison.Ordinal)).Select(l => JsonNode.Parse(l[6..])!).ToList();
        for (var index = 0; index < 2; index++)
        {
            var mine = chunks.SelectMany(c => c["choices"]!.AsArray()).Where(c => c!["index"]!.GetValue<int>() == index).ToList();
            string.Concat(mine.Select(c => c!["delta"]?["content"]?.GetValue<string>())).ShouldBe(text);
            mine.Select(c => c!["finish_reason"]?.GetValue<string>()).Where(r => r is not null).ShouldBe(["stop"]);
        }

        chunks.Single(c => c["usage"] is JsonObject)["usage"]!["completion_tokens"]!.GetValue<int>().ShouldBe(2 * tokens);
    }

    [Fact]
    public async Task Tool_calls_come_back_with_arguments_matching_the_schema_and_a_tool_result_is_answered()
    {
        var chat = Sdk.GetChatClient("local/echo-1");
        var tool = ChatTool.CreateFunctionTool(
            "get_weather",
            "Current weather for a city",
            BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city","unit"]}"""));
        var options = new ChatCompletionOptions { Tools = { tool }, ToolChoice = ChatToolChoice.CreateRequiredChoice() };
        List<ChatMessage> messages = [new UserChatMessage("What is the weather in Paris?")];

        var result = (await chat.CompleteChatAsync(messages, options)).Value;

        result.FinishReason.ShouldBe(ChatFinishReason.ToolCalls);
        result.ToolCalls.Count.ShouldBe(1);
        result.ToolCalls[0].FunctionName.ShouldBe("get_weather");
        using var args = JsonDocument.Parse(result.ToolCalls[0].FunctionArguments);
        args.RootElement.GetProperty("city").GetString().ShouldNotBeNullOrEmpty();
        new[] { "celsius", "fahrenheit" }.ShouldContain(args.RootElement.GetProperty("unit").GetString());

        messages.Add(new AssistantChatMessage(result));
        messages.Add(new ToolChatMessage(result.ToolCalls[0].Id, """{"temperature":18,"sky":"clear"}"""));
        var followUp = (await chat.CompleteChatAsync(messages, new ChatCompletionOptions { Tools = { tool } })).Value;

        followUp.FinishReason.ShouldBe(ChatFinishReason.Stop);
        followUp.Content[0].Text.ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public async Task Streaming_tool_calls_arrive_as_deltas()
    {
        var chat = Sdk.GetChatClient("local/echo-1");
        var tool = ChatTool.CreateFunctionTool("lookup_order", "Find an order",
            BinaryData.FromString("""{"type":"object","properties":{"order_id":{"type":"string"}},"required":["order_id"]}"""));
        var options = new ChatCompletionOptions { Tools = { tool }, ToolChoice = ChatToolChoice.CreateFunctionChoice("lookup_order") };

        string? name = null;
        var arguments = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Where is order 42?")], options))
        {
            foreach (var call in update.ToolCallUpdates)
            {
                name ??= call.FunctionName;
                arguments.Append(call.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
        }

        name.ShouldBe("lookup_order");
        using var args = JsonDocument.Parse(arguments.ToString());
        args.RootElement.TryGetProperty("order_id", out _).ShouldBeTrue();
        finish.ShouldBe(ChatFinishReason.ToolCalls);
    }

    [Theory]
    [InlineData("wav")]
    [InlineData("mp3")]
    public async Task Speech_returns_real_audio_bytes(string format)
    {
        var audio = Sdk.GetAudioClient("local/espeak-1");
        var speechFormat = format == "wav" ? GeneratedSpeechFormat.Wav : GeneratedSpeechFormat.Mp3;

        var bytes = (await audio.GenerateSpeechAsync("Welcome to CCAPI, your unified AI gateway.", GeneratedSpeechVoice.Alloy,
            new SpeechGenerationOptions { ResponseFormat = speechFormat })).Value.ToArray();

        bytes.Length.ShouldBeGreaterThan(4000);
        if (format == "wav")
        {
            System.Text.Encoding.ASCII.GetString(bytes, 0, 4).ShouldBe("RIFF");
            System.Text.Encoding.ASCII.GetString(bytes, 8, 4).ShouldBe("WAVE");
        }
        else
        {
            // An MP3 starts with an ID3 tag or a frame sync (11 set bits).
            var id3 = System.Text.Encoding.ASCII.GetString(bytes, 0, 3) == "ID3";
            var sync = bytes[0] == 0xFF && (bytes[1] & 0xE0) == 0xE0;
            (id3 || sync).ShouldBeTrue();
        }
    }

    [Fact]
    public async Task Image_generation_returns_distinct_pngs_of_the_requested_size_as_bytes()
    {
        var images = Sdk.GetImageClient("local/pixel-1");

        var result = (await images.GenerateImagesAsync("photorealistic drone shot of a solar farm at sunrise", 2,
            new ImageGenerationOptions { Size = new GeneratedImageSize(320, 192), ResponseFormat = GeneratedImageFormat.Bytes })).Value;

        result.Count.ShouldBe(2);
        var first = result[0].ImageBytes.ToArray();
        var second = result[1].ImageBytes.ToArray();
        Png.Dimensions(first).ShouldBe((320, 192));
        Png.Dimensions(second).ShouldBe((320, 192));
        first.ShouldNotBe(second);
    }

    [Fact]
    public async Task A_streamed_image_generation_answers_openais_partial_and_completed_events_with_the_local_adapters_pngs()
    {
        // The .NET SDK keeps image streaming internal; the Node and Python SDKs read these events (the same wire).
        using var client = Platform.CreateClient();

        using var response = await client.PostAsync("/v1/images/generations", Json(
            """{"model":"local/pixel-1","prompt":"a kite over dunes","n":2,"size":"320x192","stream":true,"partial_images":1}"""));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        var events = new List<(string Type, byte[] Png, int? Index)>();
        foreach (var block in (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n');
            using var data = JsonDocument.Parse(lines[1]["data: ".Length..]);
            var type = data.RootElement.GetProperty("type").GetString()!;
            lines[0].ShouldBe("event: " + type);
            data.RootElement.GetProperty("size").GetString().ShouldBe("320x192");
            events.Add((type, Convert.FromBase64String(data.RootElement.GetProperty("b64_json").GetString()!),
                data.RootElement.TryGetProperty("partial_image_index", out var index) ? index.GetInt32() : null));
        }

        // Each image's coarse preview, relayed by the adapter as it drew it, then the two images.
        events.Select(e => e.Type).ShouldBe(["image_generation.partial_image", "image_generation.partial_image", "image_generation.completed", "image_generation.completed"]);
        events.Take(2).Select(e => e.Index).ShouldBe([0, 0]);
        events.Select(e => Png.Dimensions(e.Png)).ShouldBe([(320, 192), (320, 192), (320, 192), (320, 192)]);
        events.Select(e => Convert.ToBase64String(e.Png)).Distinct().Count().ShouldBe(4);
    }

    [Fact]
    public async Task Image_generation_returns_fetchable_signed_urls()
    {
        var images = Sdk.GetImageClient("local/pixel-1");

        var result = (await images.GenerateImageAsync("a lighthouse in fog",
            new ImageGenerationOptions { Size = new GeneratedImageSize(256, 256), ResponseFormat = GeneratedImageFormat.Uri })).Value;

        result.ImageUri.ShouldNotBeNull();
        result.ImageUri.AbsoluteUri.ShouldStartWith(Platform.Origin + "/v1/files/");
        using var anonymous = new HttpClient();
        var response = await anonymous.GetAsync(result.ImageUri);
        response.IsSuccessStatusCode.ShouldBeTrue();
        response.Content.Headers.ContentType!.MediaType.ShouldBe("image/png");
        Png.Dimensions(await response.Content.ReadAsByteArrayAsync()).ShouldBe((256, 256));
    }

    [Fact]
    public async Task Unknown_model_is_a_400_the_sdk_surfaces()
    {
        var chat = Sdk.GetChatClient("nobody/nothing");

        var ex = await Should.ThrowAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("hi")]));

        ex.Status.ShouldBe(400);
        ex.Message.ShouldContain("model");
    }
}

internal static class Png
{
    public static (int Width, int Height) Dimensions(byte[] png)
    {
        png.Length.ShouldBeGreaterThan(33);
        png[..8].ShouldBe(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
        System.Text.Encoding.ASCII.GetString(png, 12, 4).ShouldBe("IHDR");
        return (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)),
            System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }
}

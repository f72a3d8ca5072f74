using System.Text;
using System.Text.Json;
using CCApi.Adapters.Hosting;
using CCApi.Adapters.OpenAI.Upstream;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using CCApi.Storage;

namespace CCApi.Adapters.OpenAI.Tests.Unit;

public sealed class ChatWireTests
{
    private static ChatCompletion Command(string? extras = null) => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = new JobRoute { OwnerId = "o", Provider = "openai", Model = "openai/gpt-4o", ProviderModel = "gpt-4o" },
        Messages = [new ChatMessage { Role = "user", ContentPartsJson = """[{"type":"text","text":"hi"}]""" }],
        MaxTokens = 10,
        Stop = ["END"],
        ExtraParametersJson = extras,
    };

    [Fact]
    public void Writes_content_parts_raw_and_modeled_fields_by_their_OpenAI_names()
    {
        using var doc = JsonDocument.Parse(ChatRequestWriter.Write(Command(), stream: false));
        var root = doc.RootElement;

        root.GetProperty("model").GetString().ShouldBe("gpt-4o");
        root.GetProperty("messages")[0].GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("hi");
        root.GetProperty("max_tokens").GetInt32().ShouldBe(10);
        root.GetProperty("stop")[0].GetString().ShouldBe("END");
        root.TryGetProperty("stream_options", out _).ShouldBeFalse();
    }

    [Fact]
    public void Lets_modeled_fields_win_over_extras_of_the_same_name_and_keeps_the_rest()
    {
        var body = ChatRequestWriter.Write(Command("""{"model":"evil","stream":true,"n":2,"parallel_tool_calls":false}"""), stream: false);
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;

        root.GetProperty("model").GetString().ShouldBe("gpt-4o");
        root.GetProperty("stream").GetBoolean().ShouldBeFalse();
        root.GetProperty("n").GetInt32().ShouldBe(2);
        root.GetProperty("parallel_tool_calls").GetBoolean().ShouldBeFalse();
        Encoding.UTF8.GetString(body).Split("\"model\"").Length.ShouldBe(2); // written once
    }

    [Fact]
    public void Asks_for_usage_in_streams()
    {
        using var doc = JsonDocument.Parse(ChatRequestWriter.Write(Command(), stream: true));

        doc.RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public void Rejects_extras_that_are_not_a_json_object_with_400()
    {
        var ex = Should.Throw<ApiException>(() => ChatRequestWriter.Write(Command("[1]"), stream: false));

        ex.Status.ShouldBe(400);
    }

    [Fact]
    public void Reads_a_chunk_with_usage_and_no_choices()
    {
        var chunk = ChatResponseReader.ReadChunk("""{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}""", "openai");

        chunk.Tokens.ShouldBe(new ChatTokens(3, 4));
        chunk.Choices.ShouldBeEmpty();
    }

    [Fact]
    public void Reads_the_cached_and_reasoning_tokens_of_the_usage_details()
    {
        const string usage = """{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":192,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}""";

        var reply = ChatResponseReader.ReadCompletion(Encoding.UTF8.GetBytes(
            $$"""{"id":"c","choices":[{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":"stop"}],"usage":{{usage}}}"""), "openai");
        var chunk = ChatResponseReader.ReadChunk($$"""{"choices":[],"usage":{{usage}}}""", "openai");

        reply.Tokens.ShouldBe(new ChatTokens(2006, 300, CachedPrompt: 1920, Reasoning: 192));
        chunk.Tokens.ShouldBe(reply.Tokens);
    }

    [Theory]
    [InlineData("""{"prompt_tokens":5,"completion_tokens":1}""")]
    [InlineData("""{"prompt_tokens":5,"completion_tokens":1,"prompt_tokens_details":null,"completion_tokens_details":"n/a"}""")]
    [InlineData("""{"prompt_tokens":5,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":"lots"},"completion_tokens_details":{}}""")]
    public void Details_an_OpenAI_compatible_server_leaves_out_or_garbles_count_as_none(string usage)
    {
        ChatResponseReader.ReadChunk($$"""{"choices":[],"usage":{{usage}}}""", "openai").Tokens.ShouldBe(new ChatTokens(5, 1));
    }

    [Fact]
    public void Prices_cached_prompt_tokens_at_the_cached_input_price_and_reasoning_as_output()
    {
        var route = new JobRoute
        {
            OwnerId = "o", Provider = "openai", Model = "openai/gpt-4o-mini", ProviderModel = "gpt-4o-mini",
            Pricing = new ModelPricing { InputPerMillion = 0.15m, CachedInputPerMillion = 0.075m, OutputPerMillion = 0.6m },
        };

        var usage = UsagePricing.Price(route, 2006, 300, cachedPromptTokens: 1920, reasoningTokens: 192);

        usage.Cost.ShouldBe((86 * 0.15m + 1920 * 0.075m + 300 * 0.6m) / 1_000_000m);
        (usage.CachedPromptTokens, usage.ReasoningTokens, usage.TotalTokens).ShouldBe((1920, 192, 2306));
        UsagePricing.Price(route with { Pricing = route.Pricing with { CachedInputPerMillion = null } }, 2006, 300, cachedPromptTokens: 1920)
            .Cost.ShouldBe((2006 * 0.15m + 300 * 0.6m) / 1_000_000m); // no cached price: the input price
        UsagePricing.Price(route, 10, 3, cachedPromptTokens: 99, reasoningTokens: 7) // counts past their totals are clamped
            .ShouldSatisfyAllConditions(u => u.CachedPromptTokens.ShouldBe(10), u => u.ReasoningTokens.ShouldBe(3));
    }

    [Fact]
    public void Treats_an_error_payload_inside_a_stream_as_a_502_with_the_providers_message()
    {
        var ex = Should.Throw<UpstreamException>(() => ChatResponseReader.ReadChunk("""{"error":{"message":"overloaded","type":"server_error"}}""", "openai"));

        ex.Error.Status.ShouldBe(502);
        ex.Error.Message.ShouldContain("overloaded");
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"choices":"nope"}""")]
    [InlineData("""{"choices":[{"index":0}]}""")]
    [InlineData("not json")]
    public void Treats_a_completion_of_another_shape_as_malformed(string body)
    {
        var ex = Should.Throw<UpstreamException>(() => ChatResponseReader.ReadCompletion(Encoding.UTF8.GetBytes(body), "openai"));

        ex.Error.Status.ShouldBe(502);
        ex.Error.Message.ShouldContain("malformed");
    }

    [Fact]
    public async Task Reads_server_sent_events_skipping_comments_and_joining_multi_line_data()
    {
        var text = ": keep-alive\n\ndata: {\"a\":1}\n\nevent: x\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n";
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        using var reader = new ServerSentEventReader(stream, TimeSpan.FromSeconds(5));

        (await reader.ReadDataAsync(default)).ShouldBe("{\"a\":1}");
        (await reader.ReadDataAsync(default)).ShouldBe("line1\nline2");
        (await reader.ReadDataAsync(default)).ShouldBe("[DONE]");
        (await reader.ReadDataAsync(default)).ShouldBeNull();
    }

    [Theory]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0 }, "image/png")]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 }, "image/jpeg")]
    [InlineData(new byte[] { 1, 2, 3, 4 }, null)]
    public void Sniffs_image_types(byte[] bytes, string? expected) => ImageBytes.SniffGenerated(bytes).ShouldBe(expected);
}

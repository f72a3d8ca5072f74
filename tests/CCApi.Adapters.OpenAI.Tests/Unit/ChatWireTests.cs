using System.Text;
using System.Text.Json;
using CCApi.Adapters.Hosting;
using CCApi.Adapters.OpenAI.Upstream;
using CCApi.Contracts;
using CCApi.ServiceDefaults;

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

        chunk.PromptTokens.ShouldBe(3);
        chunk.CompletionTokens.ShouldBe(4);
        chunk.Choices.ShouldBeEmpty();
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
    public void Sniffs_image_types(byte[] bytes, string? expected) => OpenAIClient.SniffImage(bytes).ShouldBe(expected);
}

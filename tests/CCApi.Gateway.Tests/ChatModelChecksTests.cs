using CCApi.Contracts;
using CCApi.Gateway.Api;
using CCApi.Gateway.Credits;
using CCApi.ServiceDefaults;

namespace CCApi.Gateway.Tests;

/// <summary>
/// The chat checks that need the model (<see cref="ChatRequestValidator.ForModel"/>): its catalog capabilities — streaming,
/// function calling, <c>max_output_tokens</c> and <c>context_length</c> (<see cref="ChatContextWindow"/>) — each a 400
/// naming the field before anything is reserved or sent.
/// </summary>
public sealed class ChatModelChecksTests
{
    private static ModelEntry Model(int? context = 1000, int? maxOutput = 100, bool streaming = true, bool functions = true, string[]? inputs = null) => new()
    {
        Id = "test/chat-1", Provider = "test", ProviderModel = "chat-1", DisplayName = "Chat", Type = "chat", InputModalities = inputs ?? ["text"],
        Capabilities = new ModelCapabilities { ContextLength = context, MaxOutputTokens = maxOutput, Streaming = streaming, FunctionCalling = functions },
    };

    private static ChatPlan Plan(string content, int? maxTokens = null, bool stream = false, string? parts = null, string maxTokensField = "max_tokens") => new()
    {
        Candidates = [("model", "test/chat-1")],
        Messages = [new ChatMessage { Role = "user", Content = parts is null ? content : null, ContentPartsJson = parts }],
        MaxTokens = maxTokens,
        MaxTokensField = maxTokensField,
        Stream = stream,
    };

    /// <summary>"w w w …": one o200k token a word (checked where the count matters).</summary>
    private static string Words(int count) => string.Join(' ', Enumerable.Repeat("w", count));

    private static ApiException Rejects(ChatPlan plan, ModelEntry model) =>
        Should.Throw<ApiException>(() => ChatRequestValidator.ForModel(plan, model));

    [Fact]
    public void A_request_within_the_models_capabilities_passes_unchanged()
    {
        var plan = Plan("hello", maxTokens: 100, stream: true);
        ChatRequestValidator.ForModel(plan, Model()).ShouldBeSameAs(plan);
    }

    [Fact]
    public void Streaming_a_model_that_does_not_stream_is_an_unsupported_parameter()
    {
        var error = Rejects(Plan("hello", stream: true), Model(streaming: false));
        (error.Status, error.Code, error.Details!["param"]).ShouldBe((400, ErrorCodes.UnsupportedParameter, "stream"));
    }

    [Fact]
    public void Tools_on_a_model_without_function_calling_are_an_unsupported_parameter()
    {
        var plan = Plan("hello") with { Tools = [new ChatTool { Name = "f" }] };
        var error = Rejects(plan, Model(functions: false));
        (error.Status, error.Code, error.Details!["param"]).ShouldBe((400, ErrorCodes.UnsupportedParameter, "tools"));
        ChatRequestValidator.ForModel(plan, Model()).ShouldBeSameAs(plan);
    }

    [Theory]
    [InlineData("max_tokens")]
    [InlineData("max_completion_tokens")]
    public void Max_tokens_above_the_models_maximum_output_names_the_field_the_client_sent(string field)
    {
        var error = Rejects(Plan("hello", maxTokens: 101, maxTokensField: field), Model(maxOutput: 100));
        (error.Status, error.Details!["param"]).ShouldBe((400, field));
        error.Message.ShouldContain("100");
        ChatRequestValidator.ForModel(Plan("hello", maxTokens: 100), Model(maxOutput: 100)); // at the maximum: fine
    }

    [Fact]
    public void Messages_past_the_context_length_are_context_length_exceeded()
    {
        // 3 (reply) + 3 + 1 (message, role) + 2000 words: past 1000 tokens.
        var error = Rejects(Plan(Words(2000)), Model(context: 1000, maxOutput: null));
        (error.Status, error.Type, error.Code, error.Details!["param"]).ShouldBe((400, ErrorTypes.InvalidRequest, "context_length_exceeded", "messages"));
        error.Details["context_length"].ShouldBe("1000");
    }

    [Fact]
    public void The_window_counts_the_completion_max_tokens_asks_for()
    {
        // 993 words + 7 framing = exactly 1000 tokens: fits alone, not with one completion token more.
        var words = Words(993);
        CostEstimator.CountTokens(words).ShouldBe(993);
        ChatRequestValidator.ForModel(Plan(words), Model(context: 1000, maxOutput: null));
        var error = Rejects(Plan(words, maxTokens: 1), Model(context: 1000, maxOutput: null));
        (error.Code, error.Details!["param"]).ShouldBe(("context_length_exceeded", "messages"));
        error.Message.ShouldContain("max_tokens");
    }

    [Theory]
    [InlineData(400, true, true)]      // 407 tokens: within both windows
    [InlineData(400, false, true)]
    [InlineData(600, true, true)]      // 607: past the small window, within the big one
    [InlineData(600, false, true)]
    [InlineData(993, true, true)]      // exactly the big window
    [InlineData(993, false, true)]
    [InlineData(994, true, false)]     // one token past it
    [InlineData(994, false, false)]
    [InlineData(2000, true, false)]
    [InlineData(2000, false, false)]
    public void Failover_candidates_share_the_count_and_each_is_judged_by_its_own_window_in_any_order(int words, bool smallFirst, bool bigFits)
    {
        // One plan checked against a 500- and a 1000-token model, as the pipeline checks every candidate before dispatch:
        // a count taken for one window answers another only where it can (exact, or past a budget at least as large).
        var plan = Plan(Words(words));
        var small = Model(context: 500, maxOutput: null) with { Id = "test/small" };
        var big = Model(context: 1000, maxOutput: null) with { Id = "test/big" };
        foreach (var model in smallFirst ? [small, big] : new[] { big, small })
        {
            var fits = model == big ? bigFits : words <= 493;
            if (fits)
            {
                ChatRequestValidator.ForModel(plan, model).ShouldBeSameAs(plan);
            }
            else
            {
                var error = Rejects(plan, model);
                (error.Code, error.Details!["context_length"]).ShouldBe(("context_length_exceeded", model == small ? "500" : "1000"));
            }
        }
    }

    [Fact]
    public void Max_tokens_alone_past_the_window_names_max_tokens()
    {
        var error = Rejects(Plan("hi", maxTokens: 1001), Model(context: 1000, maxOutput: null));
        (error.Code, error.Details!["param"]).ShouldBe(("context_length_exceeded", "max_tokens"));
    }

    [Fact]
    public void Only_text_parts_count_so_a_large_image_does_not_fill_the_window()
    {
        var image = "data:image/png;base64," + new string('A', 50_000);
        var parts = $$$"""[{"type":"text","text":"what is this?"},{"type":"image_url","image_url":{"url":"{{{image}}}"}}]""";
        ChatRequestValidator.ForModel(Plan("", parts: parts), Model(context: 1000, maxOutput: null, inputs: ["text", "image"]));

        var longText = $$"""[{"type":"text","text":"{{Words(2000)}}"}]""";
        Rejects(Plan("", parts: longText), Model(context: 1000, maxOutput: null)).Code.ShouldBe("context_length_exceeded");
    }

    [Fact]
    public void An_image_or_audio_part_for_a_model_without_that_input_modality_is_an_unsupported_parameter()
    {
        const string Image = """{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}""";
        const string Audio = """{"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}}""";
        var plan = Plan("") with
        {
            Messages =
            [
                new ChatMessage { Role = "system", Content = "be brief" },
                new ChatMessage { Role = "user", ContentPartsJson = $$"""[{"type":"text","text":"what is this?"},{{Image}},{{Audio}}]""" },
            ],
        };

        var image = Rejects(plan, Model(inputs: ["text", "audio"]));
        (image.Status, image.Code, image.Details!["param"]).ShouldBe((400, ErrorCodes.UnsupportedParameter, "messages[1].content[1].type"));
        image.Message.ShouldContain("image");
        var audio = Rejects(plan, Model(inputs: ["text", "image"]));
        (audio.Status, audio.Code, audio.Details!["param"]).ShouldBe((400, ErrorCodes.UnsupportedParameter, "messages[1].content[2].type"));
        Rejects(plan, Model()).Details!["param"].ShouldBe("messages[1].content[1].type"); // the first refusal names the first part

        ChatRequestValidator.ForModel(plan, Model(inputs: ["text", "image", "audio"])).ShouldBeSameAs(plan);
        ChatRequestValidator.ForModel(Plan("", parts: """[{"type":"text","text":"hi"}]"""), Model()).ShouldNotBeNull(); // text parts: any model
    }

    [Fact]
    public void Logprobs_or_a_response_format_the_models_capabilities_do_not_list_are_an_unsupported_parameter()
    {
        var textOnly = Model() with { Capabilities = Model().Capabilities with { ResponseFormats = ["text"], Logprobs = false } };
        var full = Model() with { Capabilities = Model().Capabilities with { ResponseFormats = ModelCapabilities.AllResponseFormats, Logprobs = true } };

        var logprobs = Plan("hello") with { Logprobs = true };
        var error = Rejects(logprobs, textOnly);
        (error.Status, error.Code, error.Details!["param"]).ShouldBe((400, ErrorCodes.UnsupportedParameter, "logprobs"));
        ChatRequestValidator.ForModel(logprobs, full).ShouldBeSameAs(logprobs);
        ChatRequestValidator.ForModel(logprobs, Model()).ShouldBeSameAs(logprobs); // a model that does not say: passed through

        foreach (var format in new[] { "json_object", "json_schema" })
        {
            var plan = Plan("hello") with { ResponseFormat = format };
            error = Rejects(plan, textOnly);
            (error.Status, error.Code, error.Details!["param"]).ShouldBe((400, ErrorCodes.UnsupportedParameter, "response_format.type"));
            error.Message.ShouldContain(format);
            ChatRequestValidator.ForModel(plan, full).ShouldBeSameAs(plan);
            ChatRequestValidator.ForModel(plan, Model()).ShouldBeSameAs(plan);
        }

        var text = Plan("hello") with { ResponseFormat = "text" };
        ChatRequestValidator.ForModel(text, textOnly).ShouldBeSameAs(text);
    }

    [Fact]
    public void Output_modalities_the_model_does_not_answer_are_an_unsupported_parameter()
    {
        var audio = Plan("hello") with { Modalities = ["text", "audio"] };
        var error = Rejects(audio, Model());
        (error.Status, error.Code, error.Details!["param"]).ShouldBe((400, ErrorCodes.UnsupportedParameter, "modalities"));
        error.Message.ShouldContain("'audio'");
        ChatRequestValidator.ForModel(audio, Model() with { OutputModalities = ["text", "audio"] }).ShouldBeSameAs(audio);

        var text = Plan("hello") with { Modalities = ["text"] };
        ChatRequestValidator.ForModel(text, Model()).ShouldBeSameAs(text);
    }

    [Fact]
    public void The_reservation_builds_on_the_window_count_and_gives_what_a_fresh_count_gives()
    {
        var prose = string.Join(' ', Enumerable.Range(0, 12_000).Select(i => i % 7 == 0 ? "tokenization" : "word" + (i % 13)));
        ChatMessage[] messages =
        [
            new() { Role = "developer", Content = "Answer briefly." },
            new() { Role = "user", ContentPartsJson = $$$"""[{"type":"text","text":"{{{prose}}}"},{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]""" },
            new() { Role = "assistant", ToolCalls = [new ToolCall { Id = "c", Name = "lookup", Arguments = """{"q":"word"}""" }] },
            new() { Role = "tool", ToolCallId = "c", Content = prose },
        ];
        ChatTool[] tools = [new() { Name = "lookup", Description = "Looks a word up.", ParametersJson = """{"type":"object"}""" }];
        var plan = Plan("") with { Messages = messages };

        ChatRequestValidator.ForModel(plan, Model(context: 128_000, maxOutput: null, inputs: ["text", "image"])); // counts, and keeps the count
        ChatContextWindow.TryGetCount(messages, out var window).ShouldBeTrue();

        var reused = CostEstimator.CountInputTokens(messages, tools, 128_000, tokensPerImage: 1_000);
        var fresh = CostEstimator.CountInputTokens([.. messages], tools, 128_000, tokensPerImage: 1_000); // another list: no count kept
        reused.ShouldBe(fresh);
        fresh.ShouldBeGreaterThan(window + 1_000); // the window's lower bound, plus the image and the tool
        ChatContextWindow.TryGetCount([.. messages], out _).ShouldBeFalse();
    }

    [Fact]
    public void Tool_call_arguments_count()
    {
        var plan = Plan("hi") with
        {
            Messages =
            [
                new ChatMessage { Role = "user", Content = "hi" },
                new ChatMessage { Role = "assistant", ToolCalls = [new ToolCall { Id = "c", Name = "f", Arguments = Words(2000) }] },
            ],
        };
        Rejects(plan, Model(context: 1000, maxOutput: null)).Code.ShouldBe("context_length_exceeded");
    }

    [Fact]
    public void A_model_without_a_context_length_or_maximum_output_is_not_checked()
    {
        ChatRequestValidator.ForModel(Plan(Words(5000), maxTokens: 1_000_000), Model(context: null, maxOutput: null));
    }
}

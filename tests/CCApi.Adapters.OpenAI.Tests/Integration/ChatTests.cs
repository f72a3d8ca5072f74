using System.Text.Json;
using CCApi.Adapters.OpenAI.Tests.Support;
using CCApi.Contracts;
using MassTransit;

namespace CCApi.Adapters.OpenAI.Tests.Integration;

/// <summary>Non-streaming chat through RabbitMQ against the emulator: the documented request reaches it, the answer comes back priced.</summary>
public sealed class ChatTests(OpenAIAdapterHost host) : IClassFixture<OpenAIAdapterHost>
{
    [Fact]
    public async Task Responds_ChatCompleted_with_the_providers_answer_and_usage_priced_from_the_route()
    {
        host.Emulator.Reset();

        var response = await host.AskAsync<ChatCompletion, ChatCompleted>(host.Chat("Hello, emulator"), JobKind.Chat);

        response.Is(out Response<ChatCompleted>? completed).ShouldBeTrue();
        var choice = completed!.Message.Choices.ShouldHaveSingleItem();
        choice.Message.Content.ShouldBe("Emulated reply to: Hello, emulator");
        choice.FinishReason.ShouldBe("stop");
        var usage = completed.Message.Usage;
        usage.PromptTokens.ShouldBeGreaterThan(0);
        usage.CompletionTokens.ShouldBe(5); // the emulator counts words
        usage.Cost.ShouldBe((usage.PromptTokens * 1m) + (usage.CompletionTokens * 2m));
        completed.Message.SystemFingerprint.ShouldBe("fp_emulator");
    }

    /// <summary>A conversation whose long system prompt (~1,500 emulated tokens) comes first, then <paramref name="question"/>.</summary>
    private ChatCompletion LongPrompt(string question, bool stream = false) => host.Chat(question, stream) with
    {
        Route = host.Route("gpt-4o-mini", new ModelPricing { InputPerMillion = 1_000_000m, CachedInputPerMillion = 250_000m, OutputPerMillion = 2_000_000m }),
        Messages =
        [
            new ChatMessage { Role = "system", Content = "House rules: " + string.Join(' ', Enumerable.Range(0, 700).Select(i => $"rule-{i}")) },
            new ChatMessage { Role = "user", Content = question },
        ],
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_prompt_OpenAI_partly_served_from_its_cache_is_priced_with_the_cached_input_price(bool stream)
    {
        host.Emulator.Reset();

        var first = await UsageOfAsync(LongPrompt("First question?", stream), stream);
        var second = await UsageOfAsync(LongPrompt("And a second one?", stream), stream);

        first.PromptTokens.ShouldBeGreaterThanOrEqualTo(1024);
        first.CachedPromptTokens.ShouldBe(0); // nothing cached yet
        second.CachedPromptTokens.ShouldBeGreaterThanOrEqualTo(1024); // the shared system prompt, in OpenAI's 128-token steps
        (second.CachedPromptTokens % 128).ShouldBe(0);
        second.CachedPromptTokens.ShouldBeLessThan(second.PromptTokens);
        second.Cost.ShouldBe(((second.PromptTokens - second.CachedPromptTokens) * 1m) + (second.CachedPromptTokens * 0.25m) + (second.CompletionTokens * 2m));
        first.Cost.ShouldBe((first.PromptTokens * 1m) + (first.CompletionTokens * 2m));
    }

    [Fact]
    public async Task A_reasoning_models_reasoning_tokens_are_reported_within_its_completion_tokens()
    {
        host.Emulator.Reset();
        var command = host.Chat("Think first") with { Route = host.Route("o3-mini", new ModelPricing { InputPerMillion = 1_000_000m, OutputPerMillion = 2_000_000m }) };

        var usage = await UsageOfAsync(command, stream: false);

        usage.ReasoningTokens.ShouldBe(CCApi.Emulators.OpenAI.OpenAIEmulator.ReasoningTokensPerChoice);
        usage.CompletionTokens.ShouldBe(usage.ReasoningTokens + 5); // and the 5 words of "Emulated reply to: Think first"
        usage.Cost.ShouldBe((usage.PromptTokens * 1m) + (usage.CompletionTokens * 2m)); // reasoning is billed as output
    }

    private async Task<Usage> UsageOfAsync(ChatCompletion command, bool stream)
    {
        if (stream)
        {
            return (await host.StreamAsync(command)).Single(d => d.Usage is not null).Usage!;
        }

        var response = await host.AskAsync<ChatCompletion, ChatCompleted>(command, JobKind.Chat);
        response.Is(out Response<ChatCompleted>? completed).ShouldBeTrue();
        return completed!.Message.Usage;
    }

    [Fact]
    public async Task Asks_for_n_choices_and_returns_each_in_its_place_with_the_usage_of_all()
    {
        host.Emulator.Reset();

        var response = await host.AskAsync<ChatCompletion, ChatCompleted>(host.Chat("Hello, emulator") with { N = 3 }, JobKind.Chat);

        response.Is(out Response<ChatCompleted>? completed).ShouldBeTrue();
        var choices = completed!.Message.Choices;
        choices.Select(c => c.Index).ShouldBe([0, 1, 2]);
        choices[0].Message.Content.ShouldBe("Emulated reply to: Hello, emulator");
        choices[2].Message.Content.ShouldBe("Emulated reply to: Hello, emulator (choice 2)");
        completed.Message.Usage.CompletionTokens.ShouldBe(5 + 7 + 7); // the emulator counts the words of every choice
        using var body = JsonDocument.Parse(host.Emulator.Requests.ShouldHaveSingleItem().Body);
        body.RootElement.GetProperty("n").GetInt32().ShouldBe(3);
    }

    [Fact]
    public async Task Sends_the_platform_key_as_a_bearer_token_and_the_provider_model_id()
    {
        host.Emulator.Reset();

        await host.AskAsync<ChatCompletion, ChatCompleted>(host.Chat("hi"), JobKind.Chat);

        var request = host.Emulator.Requests.ShouldHaveSingleItem();
        request.Authorization.ShouldBe("Bearer " + host.Emulator.ApiKey);
        using var body = JsonDocument.Parse(request.Body);
        body.RootElement.GetProperty("model").GetString().ShouldBe("gpt-4o-mini");
        body.RootElement.GetProperty("stream").GetBoolean().ShouldBeFalse();
    }

    [Fact]
    public async Task Passes_unmodeled_OpenAI_parameters_through_to_the_upstream_body_untouched()
    {
        host.Emulator.Reset();
        var command = host.Chat("hi") with
        {
            Temperature = 0.3,
            ExtraParametersJson = """{"response_format":{"type":"json_object"},"logit_bias":{"50256":-100},"frequency_penalty":0.5,"metadata":{"team":"a"}}""",
        };

        await host.AskAsync<ChatCompletion, ChatCompleted>(command, JobKind.Chat);

        using var body = JsonDocument.Parse(host.Emulator.Requests.ShouldHaveSingleItem().Body);
        var root = body.RootElement;
        root.GetProperty("response_format").GetRawText().ShouldBe("""{"type":"json_object"}""");
        root.GetProperty("logit_bias").GetRawText().ShouldBe("""{"50256":-100}""");
        root.GetProperty("frequency_penalty").GetDouble().ShouldBe(0.5);
        root.GetProperty("metadata").GetProperty("team").GetString().ShouldBe("a");
        root.GetProperty("temperature").GetDouble().ShouldBe(0.3);
    }

    [Fact]
    public async Task Returns_tool_calls_when_the_model_calls_a_function()
    {
        host.Emulator.Reset();
        var command = host.Chat("weather in Paris?") with
        {
            Tools = [new ChatTool { Name = "get_weather", ParametersJson = """{"type":"object","properties":{"city":{"type":"string"}}}""" }],
            ToolChoiceFunction = "get_weather",
        };

        var response = await host.AskAsync<ChatCompletion, ChatCompleted>(command, JobKind.Chat);

        response.Is(out Response<ChatCompleted>? completed).ShouldBeTrue();
        var choice = completed!.Message.Choices.ShouldHaveSingleItem();
        choice.FinishReason.ShouldBe("tool_calls");
        var call = choice.Message.ToolCalls.ShouldNotBeNull().ShouldHaveSingleItem();
        call.Name.ShouldBe("get_weather");
        call.Id.ShouldBe("call_emulated_1");
        JsonDocument.Parse(call.Arguments).RootElement.GetProperty("city").GetString().ShouldBe("Paris");
        using var body = JsonDocument.Parse(host.Emulator.Requests.ShouldHaveSingleItem().Body);
        body.RootElement.GetProperty("tool_choice").GetProperty("function").GetProperty("name").GetString().ShouldBe("get_weather");
        body.RootElement.GetProperty("tools")[0].GetProperty("function").GetProperty("parameters").GetProperty("type").GetString().ShouldBe("object");
    }

    [Fact]
    public async Task Sends_a_tool_result_conversation_the_emulator_accepts()
    {
        host.Emulator.Reset();
        var command = host.Chat("weather?") with
        {
            Messages =
            [
                new ChatMessage { Role = "user", Content = "weather?" },
                new ChatMessage { Role = "assistant", ToolCalls = [new ToolCall { Id = "call_1", Name = "get_weather", Arguments = "{\"city\":\"Paris\"}" }] },
                new ChatMessage { Role = "tool", ToolCallId = "call_1", Content = "18 C" },
            ],
            Tools = [new ChatTool { Name = "get_weather" }],
        };

        var response = await host.AskAsync<ChatCompletion, ChatCompleted>(command, JobKind.Chat);

        response.Is(out Response<ChatCompleted>? completed).ShouldBeTrue();
        completed!.Message.Choices[0].FinishReason.ShouldBe("stop");
    }
}

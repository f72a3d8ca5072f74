using CCApi.Contracts;
using CCApi.Gateway.Credits;
using Microsoft.Extensions.Options;

namespace CCApi.Gateway.Tests;

/// <summary>Pricing and reservation arithmetic: the most a request can cost, in whole nano-dollars, never rounded down.</summary>
public sealed class CreditUnitTests
{
    private static readonly ModelPricing Mini = new() { InputPerMillion = 0.15m, OutputPerMillion = 0.6m };

    private static ModelEntry Model(ModelPricing pricing, int? maxOutput = null, int? contextLength = null) => new()
    {
        Id = "openai/gpt-4o-mini",
        Provider = "openai",
        ProviderModel = "gpt-4o-mini",
        DisplayName = "mini",
        Type = "chat",
        Pricing = pricing,
        Capabilities = new ModelCapabilities { MaxOutputTokens = maxOutput, ContextLength = contextLength },
    };

    private static CostEstimator Estimator(int defaultMaxOutput = 4096) => new(Options.Create(new CreditOptions { DefaultMaxOutputTokens = defaultMaxOutput }));

    private static readonly ChatMessage[] Hello = [new() { Role = "user", Content = "Hello world" }];

    [Fact]
    public void Counts_input_tokens_with_the_o200k_tokenizer_plus_openai_message_framing()
    {
        CostEstimator.CountTokens("Hello world").ShouldBe(2);
        CostEstimator.CountTokens("").ShouldBe(0);
        // 3 (reply priming) + 3 (message framing) + 1 ("user") + 2 ("Hello world")
        CostEstimator.CountInputTokens(Hello).ShouldBe(9);
    }

    [Fact]
    public void Chat_reserves_input_tokens_times_input_price_plus_max_tokens_times_output_price()
    {
        // 9 × 0.15 + 100 × 0.60 per million = 0.00000135 + 0.00006 USD = 61 350 nano-dollars
        Estimator().Chat(Model(Mini), Hello, null, maxTokens: 100).ShouldBe(61_350);
    }

    [Fact]
    public void Chat_with_n_choices_reserves_the_input_once_and_the_output_limit_for_each_choice()
    {
        Estimator().Chat(Model(Mini), Hello, null, maxTokens: 100, choices: 3).ShouldBe(1_350 + (3 * 60_000));
        Estimator().Chat(Model(Mini, maxOutput: 1000), Hello, null, maxTokens: null, choices: 2).ShouldBe(1_350 + 1_200_000);
    }

    [Fact]
    public void Chat_without_max_tokens_reserves_the_models_maximum_output_else_the_configured_default()
    {
        Estimator().Chat(Model(Mini, maxOutput: 1000), Hello, null, maxTokens: null).ShouldBe(1_350 + 600_000);
        Estimator(defaultMaxOutput: 10).Chat(Model(Mini), Hello, null, maxTokens: null).ShouldBe(1_350 + 6_000);
    }

    [Fact]
    public void Input_is_reserved_up_to_the_models_context_window_and_counted_exactly_below_it()
    {
        // The conversation's tools and messages together: 20,000 words and a 200,000-letter "word" in a tool's description
        // (one pre-tokenized piece, the dearest kind to merge). The model cannot bill more input than its window.
        var words = string.Join(' ', Enumerable.Repeat("hello", 20_000));
        ChatMessage[] messages = [new() { Role = "user", Content = words }];
        ChatTool[] tools = [new() { Name = "lookup", Description = new string('a', 200_000) }];
        var exact = CostEstimator.CountInputTokens(messages, tools);
        exact.ShouldBe(3 + 3 + 1 + 20_000 + 1 + 25_000); // "hello" and " hello" are one token each; 8 a's are one token

        CostEstimator.CountInputTokens(messages, tools, limit: 32_768).ShouldBe(32_768);
        CostEstimator.CountInputTokens(messages, tools, limit: 1_000).ShouldBe(1_000);
        // Within the window, the long piece is counted a chunk at a time: an estimate within a fraction of a percent.
        CostEstimator.CountInputTokens(messages, tools, limit: 128_000).ShouldBeInRange(exact - (exact / 200), exact + (exact / 200));
        CostEstimator.CountInputTokens(messages, null, limit: 128_000).ShouldBe(3 + 3 + 1 + 20_000);

        // 32,768 × 0.15 + 100 × 0.60 per million, rounded up to whole nano-dollars.
        Estimator().Chat(Model(Mini, contextLength: 32_768), messages, tools, maxTokens: 100).ShouldBe(4_915_200 + 60_000);
        Estimator().Chat(Model(Mini), messages, tools, maxTokens: 100).ShouldBe(CostEstimator.ChatCost(Mini, exact, 100));
    }

    [Fact]
    public void An_image_part_reserves_the_models_image_input_tokens_not_its_base64()
    {
        var image = $$$"""{"type":"image_url","image_url":{"url":"data:image/png;base64,{{{new string('A', 1_000_000)}}}","detail":"high"}}""";
        ChatMessage[] messages = [new() { Role = "user", ContentPartsJson = $$"""[{"type":"text","text":"Hello world"},{{image}},{{image}}]""" }];

        // 3 + 3 + 1 ("user") + 2 ("Hello world") + two images at the model's tokens per image.
        CostEstimator.CountInputTokens(messages, tokensPerImage: 48_169).ShouldBe(9 + (2 * 48_169));
        // Undeclared: a token per byte of each image part, more than any provider bills; still no more than the window.
        CostEstimator.CountInputTokens(messages).ShouldBe(9 + (2L * image.Length));
        CostEstimator.CountInputTokens(messages, limit: 128_000).ShouldBe(128_000);

        var vision = Model(Mini, contextLength: 128_000) with
        {
            Capabilities = new ModelCapabilities { ContextLength = 128_000, ImageInputTokens = 48_169 },
        };
        Estimator().Chat(vision, messages, null, maxTokens: 100).ShouldBe(CostEstimator.ChatCost(Mini, 9 + (2 * 48_169), 100));
        Estimator().Chat(Model(Mini, contextLength: 128_000), messages, null, maxTokens: 100).ShouldBe(CostEstimator.ChatCost(Mini, 128_000, 100));
    }

    [Fact]
    public void Parts_the_gateway_does_not_model_are_reserved_as_their_json_and_text_parts_as_their_text()
    {
        const string Audio = """{"type":"input_audio","input_audio":{"data":"UklGRgAAAABXQVZF","format":"wav"}}""";
        ChatMessage[] messages = [new() { Role = "user", ContentPartsJson = $$"""[{"type":"text","text":"Hello world"},{{Audio}}]""" }];

        CostEstimator.CountInputTokens(messages).ShouldBe(9 + CostEstimator.CountTokens(Audio));
    }

    [Fact]
    public void Images_reserve_n_times_the_price_and_speech_characters_times_the_price()
    {
        CostEstimator.Images(new ModelPricing { PerImage = 0.04m }, 3).ShouldBe(120_000_000);
        CostEstimator.Speech(new ModelPricing { PerCharacter = 0.000015m }, new string('a', 1000), 1000, speed: null).ShouldBe(15_000_000);
    }

    [Theory]
    [InlineData(null, 2_000)]
    [InlineData(1.0, 2_000)]
    [InlineData(0.25, 8_000)] // four times as long
    [InlineData(2.0, 1_000)]
    public void Speech_priced_by_tokens_reserves_the_inputs_tokens_and_two_audio_tokens_a_character_over_the_speed(double? speed, long audioTokens)
    {
        var pricing = new ModelPricing { InputPerMillion = 0.60m, OutputPerMillion = 12m }; // gpt-4o-mini-tts
        var input = string.Concat(Enumerable.Repeat("Hello there. ", 77)) + "Bye"; // 1,004 characters

        var reserved = CostEstimator.Speech(pricing, input, 1_000, speed);

        reserved.ShouldBe(CostEstimator.Ceiling((CostEstimator.CountTokens(input) * 0.60m / 1_000_000m) + (audioTokens * 12m / 1_000_000m)));
        reserved.ShouldBeGreaterThan(CostEstimator.Ceiling(audioTokens * 12m / 1_000_000m)); // the input's tokens are in it
    }

    [Fact]
    public void Unpriced_and_free_models_reserve_nothing_and_fractions_of_a_nano_dollar_round_up()
    {
        Estimator().Chat(Model(new ModelPricing()), Hello, null, 100).ShouldBe(0);
        CostEstimator.Images(new ModelPricing { PerImage = 0m }, 4).ShouldBe(0);
        CostEstimator.Ceiling(0.0000000001m).ShouldBe(1);
        CostEstimator.Ceiling(0.000000001m).ShouldBe(1);
        CostEstimator.Ceiling(0.0000000011m).ShouldBe(2);
    }

    [Fact]
    public void Cost_usd_is_null_for_an_unpriced_route_and_the_usage_cost_otherwise()
    {
        var usage = new Usage { Cost = 0.25m };
        CostEstimator.CostUsd(new JobRoute { OwnerId = "k", Provider = "openai", Model = "openai/x", ProviderModel = "x" }, usage).ShouldBeNull();
        CostEstimator.CostUsd(new JobRoute { OwnerId = "k", Provider = "openai", Model = "openai/x", ProviderModel = "x", Pricing = new ModelPricing() }, usage).ShouldBeNull();
        CostEstimator.CostUsd(new JobRoute { OwnerId = "k", Provider = "openai", Model = "openai/x", ProviderModel = "x", Pricing = Mini }, usage).ShouldBe(0.25m);
        CostEstimator.CostUsd(new JobRoute { OwnerId = "k", Provider = "local", Model = "local/echo-1", ProviderModel = "echo-1", Pricing = new ModelPricing { InputPerMillion = 0 } }, new Usage()).ShouldBe(0m);
    }
}

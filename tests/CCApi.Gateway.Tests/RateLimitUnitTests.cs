using CCApi.Contracts;
using CCApi.Gateway.Limits;

namespace CCApi.Gateway.Tests;

public sealed class RateLimitUnitTests
{
    [Theory]
    [InlineData(0, "0s")]
    [InlineData(1, "1ms")] // rounded up: a client waiting that long is never early
    [InlineData(20_000, "20ms")]
    [InlineData(999_000, "999ms")]
    [InlineData(999_001, "1s")]
    [InlineData(1_000_000, "1s")]
    [InlineData(1_500_000, "1.5s")]
    [InlineData(19_999_000, "19.999s")]
    [InlineData(360_000_000, "6m0s")]
    [InlineData(90_250_000, "1m30.25s")]
    [InlineData(3_723_500_000, "1h2m3.5s")]
    [InlineData(7_200_000_000, "2h0m0s")]
    public void Resets_are_printed_in_OpenAI_s_duration_format(long microseconds, string expected) =>
        RateLimitHeaders.FormatDuration(microseconds).ShouldBe(expected);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1_000_000, 1)]
    [InlineData(1_000_001, 2)]
    [InlineData(20_000_000, 20)]
    public void Retry_after_is_whole_seconds_rounded_up_and_at_least_one(long microseconds, long seconds) =>
        RateLimitHeaders.RetryAfterSeconds(microseconds).ShouldBe(seconds);

    [Theory]
    [InlineData(0, 1)]
    [InlineData(4, 1)]
    [InlineData(5, 2)]
    [InlineData(400, 100)]
    public void The_token_estimate_is_characters_over_four_rounded_up(long characters, long tokens) =>
        TokenEstimate.FromCharacters(characters).ShouldBe(tokens);

    [Fact]
    public void The_chat_estimate_counts_text_parts_and_tool_calls()
    {
        ChatMessage[] messages =
        [
            new() { Role = "user", Content = "12345678" },
            new() { Role = "user", ContentPartsJson = """[{"type":"text","text":"123456"}]""" },
            new() { Role = "assistant", ToolCalls = [new ToolCall { Id = "c", Name = "fn", Arguments = "{}" }] },
        ];

        TokenEstimate.FromMessages(messages).ShouldBe(5); // 8 + 6 + 4 characters
    }

    [Fact]
    public void An_image_part_is_estimated_at_the_models_tokens_per_image_not_as_its_base64()
    {
        var image = $$$"""{"type":"image_url","image_url":{"url":"data:image/png;base64,{{{new string('A', 1_000_000)}}}"}}""";
        const string Audio = """{"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}}""";
        ChatMessage[] messages = [new() { Role = "user", ContentPartsJson = $$"""[{"type":"text","text":"12345678"},{{image}},{{image}},{{Audio}}]""" }];

        TokenEstimate.FromMessages(messages, tokensPerImage: 1_000).ShouldBe(TokenEstimate.FromCharacters(8 + Audio.Length) + 2_000);
        // A model that does not say what an image costs: the parts' JSON as text, base64 and all.
        TokenEstimate.FromMessages(messages).ShouldBe(TokenEstimate.FromCharacters(8 + Audio.Length + (2L * image.Length)));
    }
}

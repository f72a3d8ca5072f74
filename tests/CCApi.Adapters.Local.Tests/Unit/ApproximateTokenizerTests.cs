using CCApi.Adapters.Local.Chat;

namespace CCApi.Adapters.Local.Tests.Unit;

public class ApproximateTokenizerTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("   ", 0)]
    [InlineData("hi", 1)]
    [InlineData("word", 1)]
    [InlineData("words", 2)]
    [InlineData("Hello, world!", 6)] // Hell|o|,|worl|d|!
    [InlineData("a1b2 🙂", 2)]       // a1b2|🙂 (a surrogate pair is one token)
    public void Counts_letter_runs_per_four_characters_and_punctuation_singly(string text, int expected)
    {
        ApproximateTokenizer.Count(text).ShouldBe(expected);
    }

    [Fact]
    public void Counting_is_deterministic_and_grows_with_the_text()
    {
        var shortText = ApproximateTokenizer.Count("The quick brown fox");
        var longText = ApproximateTokenizer.Count("The quick brown fox jumps over the lazy dog");

        ApproximateTokenizer.Count("The quick brown fox").ShouldBe(shortText);
        longText.ShouldBeGreaterThan(shortText);
    }

    [Fact]
    public void Truncation_keeps_at_most_the_requested_tokens_and_says_so()
    {
        var text = "one two six ten red";

        var cut = ApproximateTokenizer.Truncate(text, 3, out var truncated);

        truncated.ShouldBeTrue();
        cut.ShouldBe("one two six");
        ApproximateTokenizer.Count(cut).ShouldBe(3);
    }

    [Fact]
    public void Truncation_can_end_inside_a_long_word_as_real_tokenizers_do()
    {
        ApproximateTokenizer.Truncate("one two three", 3, out var truncated).ShouldBe("one two thre");
        truncated.ShouldBeTrue();
    }

    [Fact]
    public void Truncation_to_at_least_the_full_length_changes_nothing()
    {
        var text = "one two six";

        ApproximateTokenizer.Truncate(text, 3, out var exact).ShouldBe(text);
        exact.ShouldBeFalse();
        ApproximateTokenizer.Truncate(text, 100, out var roomy).ShouldBe(text);
        roomy.ShouldBeFalse();
    }
}

using CCApi.Gateway.Credits;
using Microsoft.ML.Tokenizers;

namespace CCApi.Gateway.Tests;

/// <summary>
/// The gateway counts o200k tokens with its own compact counter (<see cref="O200kTokenCounter"/>, ~5 MiB instead of the
/// ~66 MiB Microsoft.ML.Tokenizers keeps); these tests hold it to <see cref="TiktokenTokenizer"/>'s counts, token for token,
/// on every kind of text a chat carries, on both merge paths (short pieces by scan, long ones by heap) and on random text.
/// </summary>
public sealed class O200kTokenCounterTests
{
    private static readonly Lazy<O200kTokenCounter> Counter = new(O200kTokenCounter.Load);
    private static readonly Lazy<Tokenizer> Reference = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

    public static TheoryData<string, string> Texts => new()
    {
        { "empty", "" },
        { "english", "Hello world! The quick brown fox jumps over the lazy dog; it's 4:30 p.m. and we'll've gone." },
        { "contractions and case", "I'M HERE, you're THERE, they'D LL've 'S" },
        { "numbers", "1 12 123 1234 12345 3.14159 -42 1,000,000 ٣٤٥ 0x1F" },
        { "code", "public static int Add(int a, int b)\n{\n    return a + b; // sum\n}\n\tif (x >= 10 && y != null) { yield(); }\n" },
        { "json", "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":100,\"url\":\"https://a.b/c?d=e&f=g\"}" },
        { "whitespace", "a  b   c\n\n\n  d\r\n\r\ne\t\t f \u00a0 g \u3000h   \n   " },
        { "cjk", "今日はいい天気ですね。我们去公园散步吧！한국어 문장도 있습니다." },
        { "rtl and indic", "مرحبا بالعالم، كيف حالك؟ שלום עולם नमस्ते दुनिया ਸਤ ਸ੍ਰੀ ਅਕਾਲ" },
        { "emoji", "I ❤️ 🍕! 👨‍👩‍👧‍👦 🏳️‍🌈 👍🏽 🤖🤖🤖 ☕" },
        { "combining marks", "e\u0301 a\u0300\u0323 Z\u0351\u0352\u0353\u0354alg\u0315o\u0336 n\u0303o\u0303" },
        { "special tokens", "before<|endoftext|>after <|endofprompt|> and <|endoftext|><|endoftext|> <|notspecial|>" },
        { "lone surrogates", "a\ud800b \udc00 c\ud83d" },
        { "control chars", "\u0000\u0001\u001f\u007f\u0085\u2028\u2029 end" },
        { "punctuation runs", "!!!??? ... --- === /// \\\\\\ ``` ''' \"\"\" <<<>>> ///\n///\r\n" },
        { "urls and paths", "See https://example.com/a/b_c-d.html#frag or C:\\Users\\me\\file.txt or /usr/local/bin/dotnet" },
        { "long letter run", new string('a', 5000) },
        { "long mixed run", string.Concat(Enumerable.Repeat("ab", 2000)) },
        { "long word", string.Concat(Enumerable.Repeat("Pneumonoultramicroscopicsilicovolcanoconiosis", 40)) },
        { "long digits", new string('7', 999) },
        { "long punctuation", new string('!', 3000) + new string('.', 3000) },
        { "long spaces", new string(' ', 4000) + "x" + new string('\n', 500) },
        { "long emoji run", string.Concat(Enumerable.Repeat("🍕", 700)) },
        { "long cjk run", string.Concat(Enumerable.Repeat("天気", 600)) },
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void Counts_what_tiktoken_counts(string kind, string text)
    {
        Counter.Value.Count(text).ShouldBe(Reference.Value.CountTokens(text), kind);
    }

    [Fact]
    public void Counts_what_tiktoken_counts_on_random_text_of_every_script()
    {
        // Fixed seed: a failure names the text, and the next run sees the same texts.
        var random = new Random(20261204);
        string[] alphabet =
        [
            "a", "b", "e", "t", "Z", "Q", " ", "  ", "\n", "\r\n", "\t", "'", "'s", "'LL", "1", "42", "999", ".", ",", "!", "?",
            "-", "_", "/", "\\", "\"", "{", "}", "<|", "|>", "é", "ß", "ø", "日", "本", "語", "한", "ع", "ש", "न", "\u0301",
            "🍕", "👍🏽", "‍", "\u00a0", "\u3000", "\ud800", "€", "™", "½", "Ⅻ", "<|endoftext|>",
        ];
        for (var i = 0; i < 1500; i++)
        {
            var text = new StringBuilder();
            var length = random.Next(1, i % 50 == 0 ? 400 : 40);
            for (var j = 0; j < length; j++)
            {
                text.Append(alphabet[random.Next(alphabet.Length)]);
            }

            var s = text.ToString();
            Counter.Value.Count(s).ShouldBe(Reference.Value.CountTokens(s), $"text #{i}: {Escape(s)}");
        }
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void Counting_up_to_a_limit_gives_the_whole_count_when_within_it_and_more_than_the_limit_when_past_it(string kind, string text)
    {
        var whole = Reference.Value.CountTokens(text);
        Counter.Value.Count(text, stopAfter: whole).ShouldBe(whole, kind);
        Counter.Value.Count(text, stopAfter: whole + 10).ShouldBe(whole, kind);
        if (whole > 0)
        {
            Counter.Value.Count(text, stopAfter: whole - 1).ShouldBeGreaterThan(whole - 1, kind);
            Counter.Value.Count(text, stopAfter: whole / 2).ShouldBeGreaterThan(whole / 2, kind);
        }
    }

    [Fact]
    public void A_limited_count_of_one_huge_piece_is_past_the_limit()
    {
        // 20 million letters are one pre-tokenized piece: merging it is the cost the limit spares (and tiktoken's count of
        // it is far past any context window). The bound used: at least one token per longest token's length.
        var run = new string('a', 20_000_000);
        Counter.Value.Count(run, stopAfter: 32_768).ShouldBeGreaterThan(32_768);
        Counter.Value.Count("Hello " + run, stopAfter: 100_000).ShouldBeGreaterThan(100_000);
    }

    public static TheoryData<string, string> LongPieces => new()
    {
        { "one letter", new string('a', 100_000) },
        { "random letters", RandomText("abcdefghijklmnopqrstuvwxyz", 100_000) },
        { "random cjk", RandomText("今日はいい天気ですね我们去公园散步吧", 60_000) },
        { "one emoji", string.Concat(Enumerable.Repeat("🍕", 30_000)) },
        { "punctuation", RandomText("!?.,;:-_=+*&^%$#@~", 100_000) },
    };

    [Theory]
    [MemberData(nameof(LongPieces))]
    public void A_piece_longer_than_a_chunk_counted_against_a_limit_is_within_a_fraction_of_a_percent_of_the_exact_count(string kind, string text)
    {
        var exact = Reference.Value.CountTokens(text);
        Counter.Value.Count(text).ShouldBe(exact, kind); // without a limit: merged whole, exact

        var estimate = Counter.Value.Count(text, stopAfter: int.MaxValue - 1);
        Math.Abs(estimate - exact).ShouldBeLessThanOrEqualTo(Math.Max(2, exact / 200), $"{kind}: {estimate} against {exact}");
        Counter.Value.Count(text, stopAfter: exact / 4).ShouldBeGreaterThan(exact / 4, kind);
    }

    public static TheoryData<string, string> RepeatedChunks => new()
    {
        { "one letter", new string('a', 300_000) },
        { "a pattern that divides the chunk", string.Concat(Enumerable.Repeat("abcd", 60_000)) },
        { "a pattern whose chunks repeat every third", string.Concat(Enumerable.Repeat("xyz", 90_000)) },
        { "one letter, then others", new string('b', 100_000) + RandomText("abcdefghijklmnopqrstuvwxyz", 50_000) + new string('b', 100_000) },
        { "dashes", new string('-', 200_000) },
    };

    [Theory]
    [MemberData(nameof(RepeatedChunks))]
    public void A_long_piece_of_repeated_chunks_counted_against_a_limit_is_counted_as_merging_every_chunk_counts_it(string kind, string text)
    {
        // A chunk equal to an earlier one takes its count instead of being merged again: the same estimate as merging each
        // chunk (the chunks' counts added, one token off per edge), within a fraction of a percent of the exact count or,
        // where tokens are as long as dashes' (64 a token, so chunks end on a token's edge), within one token per edge.
        var exact = Reference.Value.CountTokens(text);
        var estimate = Counter.Value.Count(text, stopAfter: int.MaxValue - 1);
        estimate.ShouldBe(ChunkByChunk(text), kind);
        var edges = (text.Length - 1) / 8192;
        Math.Abs(estimate - exact).ShouldBeLessThanOrEqualTo(Math.Max(edges, exact / 200), $"{kind}: {estimate} against {exact}"); // dashes: 64 a token, so the edges' correction is what is off
        Counter.Value.Count(text, stopAfter: exact / 3).ShouldBeGreaterThan(exact / 3, kind);
    }

    /// <summary>The chunked estimate without remembering chunks: each 8,192-char chunk merged alone, one token off per edge.</summary>
    private static int ChunkByChunk(string text)
    {
        var total = 0;
        for (var at = 0; at < text.Length; at += 8192)
        {
            total += Counter.Value.Count(text.Substring(at, Math.Min(8192, text.Length - at))) - (at == 0 ? 0 : 1);
        }

        return total;
    }

    private static string RandomText(string alphabet, int length)
    {
        var random = new Random(20261205);
        return string.Create(length, alphabet, (span, a) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = a[random.Next(a.Length)];
            }
        });
    }

    private static string Escape(string s) =>
        string.Concat(s.Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:x4}"));
}

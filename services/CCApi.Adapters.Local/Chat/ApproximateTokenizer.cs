namespace CCApi.Adapters.Local.Chat;

/// <summary>
/// A small deterministic tokenizer that APPROXIMATES what BPE tokenizers count for English text; it is not any real
/// model's vocabulary. Rules: whitespace is free (it belongs to the next token); a run of letters or digits costs one
/// token per started 4 characters; every other character (punctuation, symbols, emoji) is one token. Usage reports use
/// it, so counts are stable for the same text and in the right order of magnitude, not exact.
/// </summary>
public static class ApproximateTokenizer
{
    private const int CharsPerToken = 4;

    /// <summary>Overhead per chat message (role and separators), as OpenAI documents for its chat formats.</summary>
    public const int PerMessageOverhead = 3;

    /// <summary>Tokens that prime the assistant's reply.</summary>
    public const int ReplyPriming = 3;

    public static int Count(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        var count = 0;
        foreach (var _ in Tokens(text))
        {
            count++;
        }

        return count;
    }

    /// <summary>The end offset (exclusive) of each token, in order.</summary>
    public static IEnumerable<int> Tokens(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (i >= text.Length)
            {
                yield break;
            }

            if (char.IsLetterOrDigit(text[i]))
            {
                var start = i;
                while (i < text.Length && char.IsLetterOrDigit(text[i]))
                {
                    i++;
                    if (i - start == CharsPerToken)
                    {
                        yield return i;
                        start = i;
                    }
                }

                if (i > start)
                {
                    yield return i;
                }
            }
            else
            {
                i += char.IsSurrogatePair(text, i) ? 2 : 1;
                yield return i;
            }
        }
    }

    /// <summary>The longest prefix of <paramref name="text"/> that holds at most <paramref name="maxTokens"/> tokens.</summary>
    public static string Truncate(string text, int maxTokens, out bool truncated)
    {
        truncated = false;
        if (maxTokens <= 0)
        {
            truncated = text.Length > 0;
            return "";
        }

        var n = 0;
        foreach (var end in Tokens(text))
        {
            if (++n == maxTokens)
            {
                truncated = Count(text[end..]) > 0;
                return truncated ? text[..end] : text;
            }
        }

        return text;
    }
}

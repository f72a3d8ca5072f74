using System.Globalization;
using System.Runtime.CompilerServices;

namespace CCApi.Gateway.Api;

/// <summary>
/// Whether a chat request fits its model's context window (the catalog's <c>context_length</c>): the messages' tokens plus
/// the completion tokens <c>max_tokens</c> asks for, as OpenAI checks it (400 <c>context_length_exceeded</c>, param
/// <c>messages</c>). Answered before anything is reserved or sent, so a prompt the model cannot take is neither queued nor
/// billed — the local provider, for one, would otherwise take it.
/// <para>
/// The count is a lower bound, so nothing the provider would take is refused: message text only (string content, text
/// parts, tool calls' names and arguments) in o200k tokens (GPT-4o's encoding, the one the gateway prices with), plus
/// OpenAI's framing of 3 tokens a message, 1 for the role and 3 for the reply; images, names and tool schemas are not
/// counted. What is within that margin of the window is left to the provider to judge.
/// </para>
/// <para>
/// Free for nearly every request: a text has at most as many tokens as UTF-8 bytes, and at most 3 bytes per UTF-16 char, so
/// the tokenizer runs only when three times the characters could exceed the window; it then stops at the first piece past
/// the window, so a hostile prompt costs the window's worth of counting, not the prompt's. A request's failover candidates
/// (up to 11 models, all checked before dispatch, the first refusal ending the request) share the count: one within a
/// window is exact and answers every other window, so a prompt that fits them all is counted once, not once a candidate.
/// </para>
/// </summary>
public static class ChatContextWindow
{
    private const int FramingPerMessage = CostEstimator.TokensPerMessage + 1; // + the role, one token for every role

    /// <summary>
    /// The count last taken of a messages list and the budget it was taken against, for as long as the list lives (one
    /// request): a count within its budget is exact, and one past it is past every smaller budget too.
    /// </summary>
    private static readonly ConditionalWeakTable<IReadOnlyList<ChatMessage>, Counted> Counts = [];

    public static void Ensure(ChatPlan plan, ModelEntry model)
    {
        if (model.Capabilities.ContextLength is not { } window)
        {
            return;
        }

        var completion = (long)(plan.MaxTokens ?? 0);
        var budget = window - completion; // what the messages may take
        if (UpperBound(plan.Messages) <= budget)
        {
            return;
        }

        if (budget < 0)
        {
            throw Exceeded(plan.MaxTokensField, window,
                $"The model '{model.Id}' has a context length of {window} tokens; '{plan.MaxTokensField}' asks for {completion} completion tokens. Please lower '{plan.MaxTokensField}'.");
        }

        if (CountAtLeast(plan.Messages, budget) <= budget)
        {
            return;
        }

        throw Exceeded("messages", window, completion > 0
            ? $"The model '{model.Id}' has a context length of {window} tokens; the messages take more than the {budget} left by the {completion} completion tokens '{plan.MaxTokensField}' asks for. Please shorten the messages or lower '{plan.MaxTokensField}'."
            : $"The model '{model.Id}' has a context length of {window} tokens; the messages take more. Please shorten the messages.");
    }

    private static ApiException Exceeded(string field, int window, string message) =>
        new(400, ErrorTypes.InvalidRequest, GatewayErrorCodes.ContextLengthExceeded, message,
            new Dictionary<string, string> { ["param"] = field, ["context_length"] = window.ToString(CultureInfo.InvariantCulture) });

    /// <summary>The most tokens the messages can be: every character as three (UTF-8 bytes), plus the framing.</summary>
    private static long UpperBound(IReadOnlyList<ChatMessage> messages) =>
        CostEstimator.ReplyPriming + ((long)messages.Count * FramingPerMessage) + (3 * ChatContent.RawCharacters(messages));

    /// <summary>
    /// The count <see cref="Ensure"/> took of these messages, when it took one and they fitted: string contents, text parts
    /// and tool calls, plus <see cref="CostEstimator.ReplyPriming"/> and <see cref="FramingPerMessage"/> a message (the
    /// role as one token). The credit reservation builds on it instead of counting the same text again.
    /// </summary>
    public static bool TryGetCount(IReadOnlyList<ChatMessage> messages, out long tokens)
    {
        if (Counts.TryGetValue(messages, out var counted) && counted.Tokens <= counted.Budget)
        {
            tokens = counted.Tokens;
            return true;
        }

        tokens = 0;
        return false;
    }

    /// <summary>The messages' tokens (the lower bound above), counted only until they pass <paramref name="budget"/>.</summary>
    private static long CountAtLeast(IReadOnlyList<ChatMessage> messages, long budget)
    {
        if (Counts.TryGetValue(messages, out var counted) && (counted.Tokens <= counted.Budget || budget <= counted.Budget))
        {
            return counted.Tokens;
        }

        var tokens = Count(messages, budget);
        Counts.AddOrUpdate(messages, new Counted(budget, tokens));
        return tokens;
    }

    private static long Count(IReadOnlyList<ChatMessage> messages, long budget)
    {
        var tokens = CostEstimator.ReplyPriming + ((long)messages.Count * FramingPerMessage);
        foreach (var text in Texts(messages))
        {
            if (tokens > budget)
            {
                return tokens;
            }

            tokens += CostEstimator.CountTokens(text, (int)Math.Min(budget - tokens, int.MaxValue));
        }

        return tokens;
    }

    private static IEnumerable<string> Texts(IReadOnlyList<ChatMessage> messages)
    {
        foreach (var message in messages)
        {
            if (message.Content is { } content)
            {
                yield return content;
            }

            foreach (var call in message.ToolCalls ?? [])
            {
                yield return call.Name;
                yield return call.Arguments;
            }
        }

        foreach (var text in ChatContent.Of(messages).Texts) // only text parts count
        {
            yield return text;
        }
    }

    private sealed record Counted(long Budget, long Tokens);
}

using System.Text.Json;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;

namespace CCApi.Adapters.OpenAI.Upstream;

/// <summary>A chat completion as OpenAI returned it, before pricing; <paramref name="Id"/> and <paramref name="Model"/> are the upstream's own.</summary>
public sealed record ChatReply(IReadOnlyList<ChatChoice> Choices, ChatTokens Tokens, string? SystemFingerprint, string? Id = null, string? Model = null);

/// <summary>One parsed <c>chat.completion.chunk</c> of a stream: its choices' deltas (several when the request asked for n &gt; 1) and, on the last, the usage.</summary>
public sealed record ChatChunk(IReadOnlyList<ChoiceDelta> Choices, ChatTokens? Tokens, string? Id = null, string? Model = null)
{
    /// <summary>The delta of choice 0, or null (what a one-choice request streams).</summary>
    public ChoiceDelta? First => Choices.FirstOrDefault(c => c.Index == 0);
}

/// <summary>
/// OpenAI's <c>usage</c> of a chat: prompt and completion tokens, and of them the prompt tokens served from its prompt
/// cache (<c>prompt_tokens_details.cached_tokens</c>) and the reasoning tokens (<c>completion_tokens_details.reasoning_tokens</c>).
/// </summary>
public sealed record ChatTokens(int Prompt, int Completion, int CachedPrompt = 0, int Reasoning = 0)
{
    public static readonly ChatTokens None = new(0, 0);
}

/// <summary>What one chunk adds to one choice (its <c>index</c>).</summary>
public sealed record ChoiceDelta(int Index, string? Content, IReadOnlyList<ToolCallDelta>? ToolCalls, string? FinishReason);

/// <summary>Reads OpenAI chat responses and stream chunks; anything that does not have their shape is a malformed response (502).</summary>
public static class ChatResponseReader
{
    public static ChatReply ReadCompletion(ReadOnlySpan<byte> body, string provider)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array)
            {
                throw new UpstreamException(UpstreamErrors.Malformed(provider, "no 'choices' array"));
            }

            var list = new List<ChatChoice>();
            foreach (var choice in choices.EnumerateArray())
            {
                if (!choice.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object)
                {
                    throw new UpstreamException(UpstreamErrors.Malformed(provider, "a choice without 'message'"));
                }

                list.Add(new ChatChoice
                {
                    Index = Int(choice, "index") ?? list.Count,
                    Message = new ChatMessage
                    {
                        Role = Text(message, "role") ?? "assistant",
                        Content = Text(message, "content"),
                        ToolCalls = ToolCalls(message),
                    },
                    FinishReason = Text(choice, "finish_reason") ?? "stop",
                });
            }

            return new ChatReply(list,
                root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object ? Tokens(usage) : ChatTokens.None,
                Text(root, "system_fingerprint"),
                Text(root, "id"),
                Text(root, "model"));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new UpstreamException(UpstreamErrors.Malformed(provider, "the chat completion is not valid JSON of the documented shape"), ex);
        }
    }

    /// <summary>One SSE data payload. An <c>{"error":…}</c> payload is the provider failing mid-stream.</summary>
    public static ChatChunk ReadChunk(string data, string provider)
    {
        try
        {
            using var doc = JsonDocument.Parse(data);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new UpstreamException(UpstreamErrors.Malformed(provider, "a stream chunk that is not an object"));
            }

            if (root.TryGetProperty("error", out _))
            {
                throw new UpstreamException(UpstreamErrors.StreamError(provider, UpstreamErrorBody.Parse(data)));
            }

            var tokens = root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object ? Tokens(usage) : null;
            if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array)
            {
                return tokens is null
                    ? throw new UpstreamException(UpstreamErrors.Malformed(provider, "a stream chunk without 'choices'"))
                    : new ChatChunk([], tokens, Text(root, "id"), Text(root, "model"));
            }

            var list = new List<ChoiceDelta>(choices.GetArrayLength());
            foreach (var choice in choices.EnumerateArray())
            {
                var index = Int(choice, "index") ?? 0;
                if (index < 0)
                {
                    throw new UpstreamException(UpstreamErrors.Malformed(provider, "a stream choice with a negative 'index'"));
                }

                var delta = choice.TryGetProperty("delta", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
                list.Add(new ChoiceDelta(
                    index,
                    delta.ValueKind == JsonValueKind.Object ? Text(delta, "content") : null,
                    delta.ValueKind == JsonValueKind.Object ? ToolCallDeltas(delta) : null,
                    Text(choice, "finish_reason")));
            }

            return new ChatChunk(list, tokens, Text(root, "id"), Text(root, "model"));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new UpstreamException(UpstreamErrors.Malformed(provider, "a stream chunk is not valid JSON of the documented shape"), ex);
        }
    }

    /// <summary>A <c>usage</c> object's counts; a detail that is missing or not a count is 0 (OpenAI-compatible servers often omit them).</summary>
    private static ChatTokens Tokens(JsonElement usage) => new(
        Int(usage, "prompt_tokens") ?? 0,
        Int(usage, "completion_tokens") ?? 0,
        Detail(usage, "prompt_tokens_details", "cached_tokens"),
        Detail(usage, "completion_tokens_details", "reasoning_tokens"));

    private static int Detail(JsonElement usage, string details, string name) =>
        usage.TryGetProperty(details, out var value) && value.ValueKind == JsonValueKind.Object ? Int(value, name) ?? 0 : 0;

    private static List<ToolCall>? ToolCalls(JsonElement message)
    {
        if (!message.TryGetProperty("tool_calls", out var calls) || calls.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var list = new List<ToolCall>();
        foreach (var call in calls.EnumerateArray())
        {
            var function = call.GetProperty("function");
            list.Add(new ToolCall
            {
                Id = Text(call, "id") ?? throw new FormatException("tool call without id"),
                Type = Text(call, "type") ?? "function",
                Name = Text(function, "name") ?? throw new FormatException("tool call without name"),
                Arguments = Text(function, "arguments") ?? "{}",
            });
        }

        return list.Count == 0 ? null : list;
    }

    private static List<ToolCallDelta>? ToolCallDeltas(JsonElement delta)
    {
        if (!delta.TryGetProperty("tool_calls", out var calls) || calls.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var list = new List<ToolCallDelta>();
        foreach (var call in calls.EnumerateArray())
        {
            var function = call.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object ? f : default;
            list.Add(new ToolCallDelta
            {
                Index = Int(call, "index") ?? list.Count,
                Id = Text(call, "id"),
                Name = function.ValueKind == JsonValueKind.Object ? Text(function, "name") : null,
                ArgumentsFragment = function.ValueKind == JsonValueKind.Object ? Text(function, "arguments") : null,
            });
        }

        return list.Count == 0 ? null : list;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int? Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : null;
}

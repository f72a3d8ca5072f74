using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CCApi.Contracts;
using CCApi.ServiceDefaults;

namespace CCApi.Adapters.Local.Chat;

/// <summary>What echo-1 answered: text or tool calls, why it stopped, and the approximate token counts.</summary>
public sealed record EchoReply(string? Content, IReadOnlyList<ToolCall>? ToolCalls, string FinishReason, int PromptTokens, int CompletionTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}

/// <summary>
/// echo-1: a deterministic, rule-based chat "model" (not a language model). It restates the last user message and
/// summarises the conversation, calls a tool when asked to (arguments from the tool's JSON Schema, see
/// <see cref="ToolArguments"/>), and answers from tool results. Same request → same reply; the seed only picks one of a
/// few wordings. Temperature and top_p are accepted and have no effect.
/// </summary>
public static partial class EchoModel
{
    public const string SystemFingerprint = "fp_local_echo_1";

    private static readonly string[] Openers = ["You said: \"{0}\".", "Echo: \"{0}\".", "I heard: \"{0}\"."];
    private static readonly HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "the", "and", "for", "you", "your", "are", "was", "were", "with", "that", "this", "what", "who", "how", "why", "when", "where",
        "can", "could", "would", "should", "will", "have", "has", "had", "not", "but", "all", "any", "from", "into", "about", "please",
        "me", "my", "our", "its", "his", "her", "their", "them", "they", "is", "to", "of", "in", "on", "at", "a", "an", "it", "be", "do",
        "does", "did", "there", "here", "than", "then", "some", "also", "just",
    };

    private const int MaxRestatedCharacters = 280;

    /// <summary>The most choices one request may ask for, as the gateway and OpenAI allow.</summary>
    public const int MaxChoices = 128;

    public static EchoReply Complete(ChatCompletion command)
    {
        Validate(command);
        var format = ReadExtras(command);
        var texts = command.Messages.Select(TextOf).ToList();
        var promptTokens = PromptTokens(command, texts);

        var lastUser = LastIndex(command.Messages, "user");
        var userText = lastUser >= 0 ? texts[lastUser] : "";
        var lastIsTool = command.Messages[^1].Role == "tool";

        var tools = ChooseTools(command, userText, lastIsTool);
        if (tools.Count > 0)
        {
            var fingerprint = Fingerprint(command, texts);
            var calls = tools.Select((tool, i) => new ToolCall
            {
                Id = "call_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{fingerprint}|{tool.Name}|{i}")))[..24],
                Name = tool.Name,
                Arguments = ToolArguments.Build(tool.ParametersJson, userText),
            }).ToList();
            var completion = calls.Sum(c => ApproximateTokenizer.Count(c.Name) + ApproximateTokenizer.Count(c.Arguments));
            return new EchoReply(null, calls, "tool_calls", promptTokens, completion);
        }

        var content = lastIsTool ? AnswerFromTools(command, texts, userText) : Restate(command, texts, userText);
        content = format switch
        {
            ("json_object", _) => JsonReply(command, userText, content),
            ("json_schema", var schema) => ToolArguments.Build(schema, userText), // an instance of the schema, from the user's words
            _ => content,
        };
        var finish = "stop";
        if (command.Stop is { Count: > 0 } stops)
        {
            var cut = stops.Where(s => !string.IsNullOrEmpty(s)).Select(s => content.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
            if (cut >= 0)
            {
                content = content[..cut];
            }
        }

        if (command.MaxTokens is { } max)
        {
            content = ApproximateTokenizer.Truncate(content, max, out var truncated);
            if (truncated)
            {
                finish = "length";
            }
        }

        return new EchoReply(content, null, finish, promptTokens, ApproximateTokenizer.Count(content));
    }

    /// <summary>
    /// The reply's tool calls as choice <paramref name="index"/> of n: echo-1 is deterministic, so every choice says the
    /// same, but each choice's tool calls have their own ids, as a client matches tool results to calls by id.
    /// </summary>
    public static IReadOnlyList<ToolCall>? ToolCallsOfChoice(EchoReply reply, int index) => index == 0 || reply.ToolCalls is not { } calls
        ? reply.ToolCalls
        : [.. calls.Select(c => c with { Id = "call_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{c.Id}|{index}")))[..24] })];

    /// <summary>The reply's content in word-sized pieces (each word with the whitespace after it), as a model would stream it.</summary>
    public static IEnumerable<string> ContentChunks(string content) =>
        ChunkRegex().Matches(content).Select(m => m.Value);

    /// <summary>A JSON string in small fragments, as OpenAI streams tool-call arguments.</summary>
    public static IEnumerable<string> ArgumentFragments(string arguments, int size = 12)
    {
        for (var i = 0; i < arguments.Length; i += size)
        {
            yield return arguments.Substring(i, Math.Min(size, arguments.Length - i));
        }
    }

    /// <summary>Plain text of a message: its string content, or the text parts of a content-part array.</summary>
    public static string TextOf(ChatMessage message)
    {
        if (message.Content is not null)
        {
            return message.Content;
        }

        if (string.IsNullOrEmpty(message.ContentPartsJson))
        {
            return "";
        }

        try
        {
            using var doc = JsonDocument.Parse(message.ContentPartsJson);
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                return "";
            }

            return string.Join("\n", doc.RootElement.EnumerateArray()
                .Where(p => p.ValueKind == JsonValueKind.Object && p.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                .Select(p => p.GetProperty("text").GetString()));
        }
        catch (JsonException)
        {
            return "";
        }
    }

    private static void Validate(ChatCompletion command)
    {
        if (command.Messages.Count == 0)
        {
            throw ApiException.Missing("messages");
        }

        if (command.MaxTokens is < 1)
        {
            throw ApiException.BadField("max_tokens", "'max_tokens' must be at least 1.");
        }

        if (command.N is < 1 or > MaxChoices)
        {
            throw ApiException.BadField("n", $"'n' must be between 1 and {MaxChoices}.");
        }

        var tools = command.Tools ?? [];
        for (var i = 0; i < tools.Count; i++)
        {
            if (tools[i].ParametersJson is { Length: > 0 } json)
            {
                try
                {
                    using var doc = JsonDocument.Parse(json);
                    if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    {
                        throw ApiException.BadField($"tools[{i}].function.parameters", "Tool parameters must be a JSON Schema object.");
                    }
                }
                catch (JsonException)
                {
                    throw ApiException.BadField($"tools[{i}].function.parameters", "Tool parameters must be valid JSON.");
                }
            }
        }

        if (command.ToolChoiceFunction is { } forced && tools.All(t => t.Name != forced))
        {
            throw ApiException.BadField("tool_choice", $"tool_choice names the function '{forced}', which is not among 'tools'.");
        }

        if (command.ToolChoice == "required" && tools.Count == 0)
        {
            throw ApiException.BadField("tool_choice", "tool_choice 'required' needs at least one tool in 'tools'.");
        }
    }

    /// <summary>
    /// A forced function is always called; "required" calls the tools the user mentions (or the first tool); "auto" (the
    /// default when tools are given) calls the tools the last user message names or asks for, but answers once a tool
    /// result is in; "none" never calls.
    /// </summary>
    private static List<ChatTool> ChooseTools(ChatCompletion command, string userText, bool lastIsTool)
    {
        var tools = command.Tools ?? [];
        if (tools.Count == 0 || command.ToolChoice == "none")
        {
            return [];
        }

        if (command.ToolChoiceFunction is { } forced)
        {
            return [tools.First(t => t.Name == forced)];
        }

        var mentioned = tools
            .Select(t => (Tool: t, At: MentionIndex(userText, t.Name)))
            .Where(m => m.At >= 0)
            .OrderBy(m => m.At)
            .Select(m => m.Tool)
            .ToList();
        if (mentioned.Count == 0 && tools.Count == 1 && AsksForToolRegex().IsMatch(userText))
        {
            mentioned.Add(tools[0]);
        }

        if (command.ToolChoice == "required")
        {
            return mentioned.Count > 0 ? mentioned : [tools[0]];
        }

        return lastIsTool ? [] : mentioned;
    }

    private static int MentionIndex(string text, string toolName)
    {
        foreach (var form in (string[])[toolName, ToolArguments.Words(toolName)])
        {
            var match = Regex.Match(text, $@"(?<![\p{{L}}\p{{N}}_]){Regex.Escape(form)}(?![\p{{L}}\p{{N}}_])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
            if (match.Success)
            {
                return match.Index;
            }
        }

        return -1;
    }

    private static string Restate(ChatCompletion command, List<string> texts, string userText)
    {
        var sb = new StringBuilder();
        var variant = command.Seed is { } seed ? (int)(Math.Abs(seed % Openers.Length)) : 0;
        if (userText.Length == 0)
        {
            sb.Append("There is no user message to respond to.");
        }
        else
        {
            sb.AppendFormat(CultureInfo.InvariantCulture, Openers[variant], Shorten(userText, MaxRestatedCharacters));
            var words = WordRegex().Count(userText);
            sb.Append(CultureInfo.InvariantCulture, $" That is {Plural(words, "word")} and {Plural(userText.Length, "character")}.");
        }

        var roles = command.Messages.GroupBy(m => m.Role).Select(g => Plural(g.Count(), g.Key)).ToList();
        sb.Append(CultureInfo.InvariantCulture, $" The conversation has {Plural(command.Messages.Count, "message")} ({string.Join(", ", roles)}).");

        var system = command.Messages.Select((m, i) => (m, i)).FirstOrDefault(x => x.m.Role is "system" or "developer");
        if (system.m is not null && texts[system.i].Length > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $" Instructions noted: \"{Shorten(texts[system.i], 80)}\".");
        }

        var images = command.Messages.Sum(ImageParts);
        if (images > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $" {Plural(images, "image")} attached (echo-1 does not look at images).");
        }

        var keywords = Keywords(userText, 3);
        if (keywords.Count > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $" Key words: {string.Join(", ", keywords)}.");
        }

        return sb.ToString();
    }

    /// <summary>
    /// The OpenAI parameters passed through in the command's extras that echo-1 reads, in one parse: OpenAI's deprecated
    /// <c>functions</c> / <c>function_call</c> are refused (echo-1 calls tools only), and <c>response_format</c>'s type
    /// and, for json_schema, the schema's JSON are answered.
    /// </summary>
    private static (string? Type, string? Schema) ReadExtras(ChatCompletion command)
    {
        if (command.ExtraParametersJson is not { } extras)
        {
            return (null, null);
        }

        using var doc = JsonDocument.Parse(extras);
        foreach (var legacy in (ReadOnlySpan<string>)["functions", "function_call"])
        {
            if (doc.RootElement.TryGetProperty(legacy, out var value) && value.ValueKind != JsonValueKind.Null)
            {
                throw ApiException.BadField(legacy, $"echo-1 takes no '{legacy}' (OpenAI's deprecated function calling); send 'tools' and 'tool_choice'.",
                    ErrorCodes.UnsupportedParameter);
            }
        }

        if (!doc.RootElement.TryGetProperty("response_format", out var format) || format.ValueKind != JsonValueKind.Object
            || !format.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            return (null, null);
        }

        var schema = format.TryGetProperty("json_schema", out var js) && js.ValueKind == JsonValueKind.Object
            && js.TryGetProperty("schema", out var s) && s.ValueKind == JsonValueKind.Object ? s.GetRawText() : null;
        return (type.GetString(), schema);
    }

    /// <summary>JSON mode: the reply and what echo-1 noticed, as one JSON object.</summary>
    private static string JsonReply(ChatCompletion command, string userText, string reply) => new System.Text.Json.Nodes.JsonObject
    {
        ["reply"] = reply,
        ["words"] = WordRegex().Count(userText),
        ["characters"] = userText.Length,
        ["messages"] = command.Messages.Count,
        ["key_words"] = new System.Text.Json.Nodes.JsonArray([.. Keywords(userText, 3).Select(k => (System.Text.Json.Nodes.JsonNode?)k)]),
    }.ToJsonString();

    private static string AnswerFromTools(ChatCompletion command, List<string> texts, string userText)
    {
        var messages = command.Messages;
        var first = messages.Count - 1;
        while (first > 0 && messages[first - 1].Role == "tool")
        {
            first--;
        }

        var calls = messages.Take(first).Where(m => m.ToolCalls is not null).SelectMany(m => m.ToolCalls!).ToList();
        var sb = new StringBuilder();
        for (var i = first; i < messages.Count; i++)
        {
            var name = messages[i].Name ?? calls.LastOrDefault(c => c.Id == messages[i].ToolCallId)?.Name ?? "tool";
            sb.Append(CultureInfo.InvariantCulture, $"The {name} tool returned {SummariseResult(texts[i])}. ");
        }

        sb.Append(userText.Length > 0
            ? $"That is my answer to \"{Shorten(userText, 120)}\"."
            : "That is the result.");
        return sb.ToString();
    }

    /// <summary>A tool result in words: a JSON object as "key: value" pairs, an array by its size, text as is.</summary>
    public static string SummariseResult(string content)
    {
        var trimmed = content.Trim();
        if (trimmed.Length > 0 && trimmed[0] is '{' or '[')
        {
            try
            {
                using var doc = JsonDocument.Parse(trimmed);
                if (doc.RootElement.ValueKind == JsonValueKind.Object)
                {
                    var pairs = doc.RootElement.EnumerateObject().Take(8).Select(p => $"{p.Name}: {Scalar(p.Value)}").ToList();
                    return pairs.Count == 0 ? "an empty object" : string.Join(", ", pairs);
                }

                return Plural(doc.RootElement.GetArrayLength(), "item");
            }
            catch (JsonException)
            {
                // not JSON after all: quote it as text
            }
        }

        return trimmed.Length == 0 ? "nothing" : $"\"{Shorten(trimmed, 200)}\"";
    }

    private static string Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Object or JsonValueKind.Array => Shorten(value.GetRawText(), 60),
        _ => value.GetRawText(),
    };

    private static int PromptTokens(ChatCompletion command, List<string> texts)
    {
        var total = ApproximateTokenizer.ReplyPriming;
        for (var i = 0; i < command.Messages.Count; i++)
        {
            var m = command.Messages[i];
            total += ApproximateTokenizer.PerMessageOverhead + ApproximateTokenizer.Count(texts[i]);
            if (m.Name is not null)
            {
                total += ApproximateTokenizer.Count(m.Name) + 1;
            }

            foreach (var call in m.ToolCalls ?? [])
            {
                total += ApproximateTokenizer.Count(call.Name) + ApproximateTokenizer.Count(call.Arguments);
            }
        }

        foreach (var tool in command.Tools ?? [])
        {
            total += ApproximateTokenizer.Count(tool.Name) + ApproximateTokenizer.Count(tool.Description) + ApproximateTokenizer.Count(tool.ParametersJson);
        }

        return total;
    }

    private static string Fingerprint(ChatCompletion command, List<string> texts)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < texts.Count; i++)
        {
            sb.Append(command.Messages[i].Role).Append('\u001f').Append(texts[i]).Append('\u001e');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    private static int ImageParts(ChatMessage message)
    {
        if (string.IsNullOrEmpty(message.ContentPartsJson))
        {
            return 0;
        }

        try
        {
            using var doc = JsonDocument.Parse(message.ContentPartsJson);
            return doc.RootElement.ValueKind != JsonValueKind.Array ? 0 : doc.RootElement.EnumerateArray()
                .Count(p => p.ValueKind == JsonValueKind.Object && p.TryGetProperty("type", out var t) && t.GetString() is "image_url" or "input_image" or "image");
        }
        catch (JsonException)
        {
            return 0;
        }
    }

    private static List<string> Keywords(string text, int count) =>
        WordRegex().Matches(text)
            .Select(m => m.Value.ToLowerInvariant())
            .Where(w => w.Length >= 3 && !StopWords.Contains(w) && !w.All(char.IsDigit))
            .GroupBy(w => w, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenByDescending(g => g.Key.Length).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Take(count)
            .Select(g => g.Key)
            .ToList();

    private static int LastIndex(IReadOnlyList<ChatMessage> messages, string role)
    {
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            if (messages[i].Role == role)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Shorten(string text, int max)
    {
        var oneLine = WhitespaceRegex().Replace(text.Trim(), " ");
        return oneLine.Length <= max ? oneLine : oneLine[..max].TrimEnd() + "…";
    }

    private static string Plural(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n.ToString(CultureInfo.InvariantCulture)} {noun}s";

    [GeneratedRegex(@"[\p{L}\p{N}][\p{L}\p{N}'’\-]*")]
    private static partial Regex WordRegex();

    [GeneratedRegex(@"\s*\S+\s*")]
    private static partial Regex ChunkRegex();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRegex();

    [GeneratedRegex(@"\b(call|use|invoke|run|trigger)\b.{0,40}\b(tool|function)\b", RegexOptions.IgnoreCase)]
    private static partial Regex AsksForToolRegex();
}

using System.Buffers;
using System.Text.Json;
using System.Text.RegularExpressions;
using static CCApi.Gateway.Api.Validation;

namespace CCApi.Gateway.Api;

/// <summary>A validated chat request: everything but the model resolution, which needs the catalog.</summary>
public sealed record ChatPlan
{
    /// <summary>Failover candidates in order, each with the field it came from ("model", "models[1]").</summary>
    public required IReadOnlyList<(string Field, string Id)> Candidates { get; init; }

    public required IReadOnlyList<ChatMessage> Messages { get; init; }
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    public int? MaxTokens { get; init; }

    /// <summary>The field <see cref="MaxTokens"/> came from: "max_completion_tokens" when the client sent it, else "max_tokens".</summary>
    public string MaxTokensField { get; init; } = "max_tokens";

    public IReadOnlyList<ChatTool>? Tools { get; init; }
    public string? ToolChoice { get; init; }
    public string? ToolChoiceFunction { get; init; }
    public IReadOnlyList<string>? Stop { get; init; }
    public long? Seed { get; init; }
    public string? User { get; init; }
    public bool Stream { get; init; }
    public bool IncludeUsage { get; init; }

    /// <summary>Choices asked for (<c>n</c>), 1 when not sent.</summary>
    public int Choices { get; init; } = 1;

    /// <summary><c>logprobs: true</c> was asked for.</summary>
    public bool Logprobs { get; init; }

    /// <summary><c>modalities</c>, the output types asked for (text, audio), when sent.</summary>
    public IReadOnlyList<string>? Modalities { get; init; }

    /// <summary><c>response_format.type</c>, when sent.</summary>
    public string? ResponseFormat { get; init; }

    public string? ExtraParametersJson { get; init; }

    /// <summary>The characters the gateway may count tokens of: the messages as sent and the tools.</summary>
    public long Characters() =>
        ChatContent.RawCharacters(Messages) + (Tools ?? []).Sum(t => (long)t.Name.Length + (t.Description?.Length ?? 0) + (t.ParametersJson?.Length ?? 0));

    public ChatCompletion ToCommand(Guid jobId, DateTimeOffset now, JobRoute route, DateTimeOffset? deadline) => new()
    {
        JobId = jobId,
        Timestamp = now,
        Route = route,
        Messages = Messages,
        Temperature = Temperature,
        TopP = TopP,
        MaxTokens = MaxTokens,
        Tools = Tools,
        ToolChoice = ToolChoice,
        ToolChoiceFunction = ToolChoiceFunction,
        Stop = Stop,
        Seed = Seed,
        User = User,
        Stream = Stream,
        IncludeUsage = IncludeUsage,
        N = Choices == 1 ? null : Choices,
        ExtraParametersJson = ExtraParametersJson,
        Deadline = deadline,
    };
}

/// <summary>
/// Validates POST /v1/chat/completions against OpenAI's rules (spec 2.1 / 3.6): every problem is a 400 naming the field
/// by its JSON path. Unknown OpenAI parameters are kept, as raw JSON, for OpenAI-compatible upstreams.
/// </summary>
public static partial class ChatRequestValidator
{
    public const int MaxCandidates = 10;
    public const int MaxTools = 128;

    /// <summary>The most choices one request may ask for (<c>n</c>), as OpenAI allows.</summary>
    public const int MaxChoices = 128;
    public const int MaxStop = 4;

    private static readonly string[] Roles = ["system", "user", "assistant", "tool", "developer"];
    private static readonly string[] ToolChoices = ["none", "auto", "required"];

    /// <summary>The content part types each role may send, as OpenAI's API takes them.</summary>
    private static readonly Dictionary<string, string[]> PartTypes = new(StringComparer.Ordinal)
    {
        ["user"] = ["text", "image_url", "input_audio", "file"],
        ["assistant"] = ["text", "refusal"],
        ["system"] = ["text"],
        ["developer"] = ["text"],
        ["tool"] = ["text"],
    };

    private static readonly string[] ImageDetails = ["auto", "low", "high"];
    private static readonly string[] ServiceTiers = ["auto", "default", "flex", "scale", "priority"];
    private static readonly string[] ReasoningEfforts = ["none", "minimal", "low", "medium", "high", "xhigh"];

    public static ChatPlan Validate(ChatCompletionRequestBody body)
    {
        var candidates = Candidates(body);
        var messages = Messages(body.Messages);

        Range(body.Temperature, 0, 2, "temperature");
        Range(body.TopP, 0, 1, "top_p");
        if (body.MaxTokens is < 1)
        {
            throw ApiException.BadField("max_tokens", "'max_tokens' must be at least 1.");
        }

        if (body.MaxCompletionTokens is < 1)
        {
            throw ApiException.BadField("max_completion_tokens", "'max_completion_tokens' must be at least 1.");
        }

        if (body.N is < 1 or > MaxChoices)
        {
            throw ApiException.BadField("n", $"'n' must be between 1 and {MaxChoices}, got {body.N}.");
        }

        if (body.Metadata is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) })
        {
            throw WrongType("metadata", "an object");
        }

        if (body.StreamOptions is not null && body.Stream != true)
        {
            // OpenAI refuses it rather than ignore it: include_usage asked for on a response that is not a stream.
            throw ApiException.BadField("stream_options", "'stream_options' is only allowed when 'stream' is true.");
        }

        var tools = Tools(body.Tools);
        var (toolChoice, toolChoiceFunction) = ToolChoice(body.ToolChoice, tools);
        var extension = PassedThrough(body.ExtensionData, out var logprobs, out var responseFormat, out var modalities);

        return new ChatPlan
        {
            Candidates = candidates,
            Messages = messages,
            Temperature = body.Temperature,
            TopP = body.TopP,
            MaxTokens = body.MaxCompletionTokens ?? body.MaxTokens,
            MaxTokensField = body.MaxCompletionTokens is null ? "max_tokens" : "max_completion_tokens",
            Tools = tools,
            ToolChoice = toolChoice,
            ToolChoiceFunction = toolChoiceFunction,
            Stop = Stop(body.Stop),
            Seed = body.Seed,
            User = body.User,
            Stream = body.Stream == true,
            IncludeUsage = body.Stream == true && body.StreamOptions?.IncludeUsage == true,
            Choices = body.N ?? 1,
            Logprobs = logprobs,
            ResponseFormat = responseFormat,
            Modalities = modalities,
            ExtraParametersJson = Extra(extension),
        };
    }

    /// <summary>
    /// The OpenAI parameters passed through unmodelled, checked as OpenAI checks them where a wrong value would otherwise
    /// reach an upstream or be silently ignored: <c>logprobs</c> a boolean, <c>top_logprobs</c> 0–20 and only with
    /// <c>logprobs: true</c>, <c>response_format</c> an object whose <c>type</c> is text, json_object or json_schema
    /// (the last with a named <c>json_schema</c>), <c>frequency_penalty</c> and <c>presence_penalty</c> −2 to 2,
    /// <c>logit_bias</c> token ids to −100…100, <c>modalities</c> text and/or audio, <c>parallel_tool_calls</c> a boolean,
    /// <c>service_tier</c> and <c>reasoning_effort</c> one of OpenAI's values. What a model may not honour
    /// (logprobs, the response format, the modalities) comes out for <see cref="ForModel"/>.
    /// </summary>
    private static Dictionary<string, JsonElement>? PassedThrough(
        Dictionary<string, JsonElement>? extension, out bool logprobs, out string? responseFormat, out IReadOnlyList<string>? modalities)
    {
        logprobs = false;
        responseFormat = null;
        modalities = null;
        if (extension is null)
        {
            return null;
        }

        Penalty(extension, "frequency_penalty");
        Penalty(extension, "presence_penalty");
        LogitBias(extension);
        if (extension.TryGetValue("parallel_tool_calls", out var parallel) && parallel.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
        {
            throw WrongType("parallel_tool_calls", "a boolean");
        }

        Keyword(extension, "service_tier", ServiceTiers);
        Keyword(extension, "reasoning_effort", ReasoningEfforts);
        modalities = Modalities(extension);

        if (extension.TryGetValue("logprobs", out var lp) && lp.ValueKind != JsonValueKind.Null)
        {
            logprobs = lp.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw WrongType("logprobs", "a boolean"),
            };
        }

        if (extension.TryGetValue("top_logprobs", out var top) && top.ValueKind != JsonValueKind.Null)
        {
            if (top.ValueKind != JsonValueKind.Number || !top.TryGetInt32(out var count))
            {
                throw WrongType("top_logprobs", "an integer");
            }

            Range(count, 0, 20, "top_logprobs");
            if (!logprobs)
            {
                throw ApiException.BadField("top_logprobs", "'top_logprobs' needs 'logprobs': true.");
            }
        }

        if (extension.TryGetValue("response_format", out var format) && format.ValueKind != JsonValueKind.Null)
        {
            if (format.ValueKind != JsonValueKind.Object)
            {
                throw WrongType("response_format", "an object such as {\"type\":\"json_object\"}");
            }

            var type = StringProperty(format, "type", "response_format") ?? throw ApiException.Missing("response_format.type");
            OneOf(type, "response_format.type", [.. ModelCapabilities.AllResponseFormats]);
            responseFormat = type;
            if (type == "json_schema")
            {
                if (!format.TryGetProperty("json_schema", out var schema) || schema.ValueKind == JsonValueKind.Null)
                {
                    throw ApiException.Missing("response_format.json_schema");
                }

                if (schema.ValueKind != JsonValueKind.Object)
                {
                    throw WrongType("response_format.json_schema", "an object");
                }

                var name = StringProperty(schema, "name", "response_format.json_schema") ?? throw ApiException.Missing("response_format.json_schema.name");
                if (!FunctionName().IsMatch(name))
                {
                    throw ApiException.BadField("response_format.json_schema.name",
                        "'response_format.json_schema.name' must be 1-64 characters of a-z, A-Z, 0-9, '_' and '-'.");
                }

                if (schema.TryGetProperty("schema", out var definition) && definition.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
                {
                    throw WrongType("response_format.json_schema.schema", "a JSON Schema object");
                }
            }
        }

        return extension;
    }

    /// <summary>A passed-through string parameter that takes one of a few values (null = absent).</summary>
    private static void Keyword(Dictionary<string, JsonElement> extension, string field, string[] allowed)
    {
        if (extension.TryGetValue(field, out var value) && value.ValueKind != JsonValueKind.Null)
        {
            OneOf(value.ValueKind == JsonValueKind.String ? value.GetString() : throw WrongType(field, "a string"), field, allowed);
        }
    }

    private static void Penalty(Dictionary<string, JsonElement> extension, string field)
    {
        if (extension.TryGetValue(field, out var value) && value.ValueKind != JsonValueKind.Null)
        {
            Range(NumberOf(value, field), -2, 2, field);
        }
    }

    /// <summary>A JSON number as a double (one too large for it as infinity, out of every range).</summary>
    private static double NumberOf(JsonElement value, string field) =>
        value.ValueKind != JsonValueKind.Number ? throw WrongType(field, "a number")
        : value.TryGetDouble(out var number) ? number : double.PositiveInfinity;

    /// <summary><c>logit_bias</c>: an object from token ids (whole numbers, as strings) to biases from −100 to 100.</summary>
    private static void LogitBias(Dictionary<string, JsonElement> extension)
    {
        if (!extension.TryGetValue("logit_bias", out var bias) || bias.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (bias.ValueKind != JsonValueKind.Object)
        {
            throw WrongType("logit_bias", "an object from token ids to biases");
        }

        foreach (var entry in bias.EnumerateObject())
        {
            if (entry.Name.Length is 0 or > 10 || !entry.Name.All(char.IsAsciiDigit))
            {
                throw ApiException.BadField("logit_bias", $"'logit_bias' keys must be token ids (whole numbers); got '{Truncate(entry.Name)}'.");
            }

            var field = $"logit_bias.{entry.Name}";
            Range(NumberOf(entry.Value, field), -100, 100, field);
        }
    }

    /// <summary><c>modalities</c>: the output types asked for, each of text and audio at most once.</summary>
    private static List<string>? Modalities(Dictionary<string, JsonElement> extension)
    {
        if (!extension.TryGetValue("modalities", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw WrongType("modalities", "an array such as [\"text\", \"audio\"]");
        }

        var list = new List<string>();
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            var field = $"modalities[{i++}]";
            var modality = item.ValueKind == JsonValueKind.String ? item.GetString()! : throw WrongType(field, "a string");
            OneOf(modality, field, "text", "audio");
            if (list.Contains(modality))
            {
                throw ApiException.BadField(field, $"'{field}' repeats '{modality}'.");
            }

            list.Add(modality);
        }

        return list;
    }

    /// <summary>
    /// The checks that need the model, against its catalog capabilities, for every failover candidate before anything is
    /// reserved or sent (400, as OpenAI answers them): <c>stream</c> on a model that does not stream, <c>tools</c> on
    /// one without function calling, <c>logprobs</c> or a <c>response_format</c> the model's capabilities say it does not
    /// honour, output <c>modalities</c> outside its <c>output_modalities</c>, and an <c>image_url</c> or <c>input_audio</c> part for a model whose <c>input_modalities</c> lack image or
    /// audio (unsupported_parameter), <c>max_tokens</c> above the model's
    /// <c>max_output_tokens</c>, and a request past its <c>context_length</c> (<see cref="ChatContextWindow"/>).
    /// </summary>
    public static ChatPlan ForModel(ChatPlan plan, ModelEntry model)
    {
        var capabilities = model.Capabilities;
        if (plan.Stream && !capabilities.Streaming)
        {
            throw ApiException.BadField("stream", $"The model '{model.Id}' does not stream its responses; send 'stream': false.", ErrorCodes.UnsupportedParameter);
        }

        if (plan.Tools is { Count: > 0 } && !capabilities.FunctionCalling)
        {
            throw ApiException.BadField("tools", $"The model '{model.Id}' does not support function calling; send no 'tools'.", ErrorCodes.UnsupportedParameter);
        }

        if (plan.Logprobs && capabilities.Logprobs == false)
        {
            throw ApiException.BadField("logprobs", $"The model '{model.Id}' does not return log probabilities; send no 'logprobs'.", ErrorCodes.UnsupportedParameter);
        }

        if (plan.ResponseFormat is { } format && capabilities.ResponseFormats is { } formats && !formats.Contains(format))
        {
            throw ApiException.BadField("response_format.type",
                $"'response_format.type' '{format}' is not supported by the model '{model.Id}'; it answers {string.Join(", ", formats)}.", ErrorCodes.UnsupportedParameter);
        }

        if (plan.Modalities?.FirstOrDefault(m => !model.OutputModalities.Contains(m)) is { } output)
        {
            throw ApiException.BadField("modalities",
                $"'modalities' asks for '{output}', but the model '{model.Id}' answers {string.Join(" and ", model.OutputModalities)} (its output_modalities).", ErrorCodes.UnsupportedParameter);
        }

        var content = ChatContent.Of(plan.Messages);
        if (content.FirstImage is { } image && !model.InputModalities.Contains("image"))
        {
            throw ApiException.BadField(image, $"'{image}' is 'image_url', but the model '{model.Id}' does not take image input (its input_modalities lack 'image').", ErrorCodes.UnsupportedParameter);
        }

        if (content.FirstAudio is { } audio && !model.InputModalities.Contains("audio"))
        {
            throw ApiException.BadField(audio, $"'{audio}' is 'input_audio', but the model '{model.Id}' does not take audio input (its input_modalities lack 'audio').", ErrorCodes.UnsupportedParameter);
        }

        if (plan.MaxTokens is { } max && capabilities.MaxOutputTokens is { } most && max > most)
        {
            var field = plan.MaxTokensField;
            throw ApiException.BadField(field, $"'{field}' is too large: {max}. The model '{model.Id}' supports at most {most} completion tokens.");
        }

        ChatContextWindow.Ensure(plan, model);
        return plan;
    }

    /// <summary><c>model</c> first, then <c>models</c> in order, without repeats.</summary>
    private static List<(string Field, string Id)> Candidates(ChatCompletionRequestBody body)
    {
        var candidates = new List<(string Field, string Id)>();
        if (body.Model is not null)
        {
            candidates.Add(("model", Required(body.Model, "model")));
        }

        if (body.Models is { } models)
        {
            if (models.Count == 0 && candidates.Count == 0)
            {
                throw ApiException.BadField("models", "'models' must list at least one model id.");
            }

            if (models.Count > MaxCandidates)
            {
                throw ApiException.BadField("models", $"'models' lists at most {MaxCandidates} model ids.");
            }

            for (var i = 0; i < models.Count; i++)
            {
                var id = Required(models[i], $"models[{i}]");
                if (!candidates.Exists(c => string.Equals(c.Id, id, StringComparison.OrdinalIgnoreCase)))
                {
                    candidates.Add(($"models[{i}]", id));
                }
            }
        }

        if (candidates.Count == 0)
        {
            throw ApiException.BadField("model", "'model' is required (or 'models', a list of failover candidates).", ErrorCodes.MissingField);
        }

        return candidates;
    }

    private static List<ChatMessage> Messages(List<ChatMessageBody?>? messages)
    {
        if (messages is null)
        {
            throw ApiException.Missing("messages");
        }

        if (messages.Count == 0)
        {
            throw ApiException.BadField("messages", "'messages' must contain at least one message.");
        }

        var result = new List<ChatMessage>(messages.Count);
        HashSet<string>? answerable = null; // the tool call ids of the assistant message the tool messages answer
        for (var i = 0; i < messages.Count; i++)
        {
            var field = $"messages[{i}]";
            var message = messages[i] ?? throw WrongType(field, "a message object");
            var role = message.Role ?? throw ApiException.Missing($"{field}.role");
            OneOf(role, $"{field}.role", Roles);

            var toolCalls = ToolCalls(message.ToolCalls, role, field);
            string? content = null;
            string? parts = null;
            switch (message.Content)
            {
                case { ValueKind: JsonValueKind.String } text:
                    content = text.GetString();
                    break;
                case { ValueKind: JsonValueKind.Array } array:
                    ValidateParts(array, $"{field}.content", role);
                    parts = array.GetRawText();
                    break;
                case null or { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined }:
                    if (role != "assistant" || toolCalls is null)
                    {
                        throw ApiException.Missing($"{field}.content");
                    }

                    break;
                default:
                    throw WrongType($"{field}.content", "a string or an array of content parts");
            }

            if (role == "tool")
            {
                if (string.IsNullOrEmpty(message.ToolCallId))
                {
                    throw ApiException.BadField($"{field}.tool_call_id", $"'{field}.tool_call_id' is required for tool messages.", ErrorCodes.MissingField);
                }

                // As OpenAI: a tool message answers a call of the assistant message before it (other tool messages between).
                if (answerable is null)
                {
                    throw ApiException.BadField($"{field}.role",
                        $"'{field}.role' is 'tool', but a tool message must answer a preceding assistant message with 'tool_calls'.");
                }

                if (!answerable.Contains(message.ToolCallId))
                {
                    throw ApiException.BadField($"{field}.tool_call_id",
                        $"'{field}.tool_call_id' '{Truncate(message.ToolCallId)}' is not among the 'tool_calls' of the assistant message before it.");
                }
            }
            else
            {
                answerable = toolCalls is null ? null : [.. toolCalls.Select(c => c.Id)];
            }

            result.Add(new ChatMessage
            {
                Role = role,
                Content = content,
                ContentPartsJson = parts,
                Name = message.Name,
                ToolCallId = message.ToolCallId,
                ToolCalls = toolCalls,
            });
        }

        return result;
    }

    /// <summary>
    /// A message's content parts: each an object of a type its role may send (<see cref="PartTypes"/>: a part a model
    /// would never read — an unknown type, an image in a system message — is refused, as OpenAI refuses it, rather than
    /// answered and billed as if absent), text parts with their text, image parts with a URL and a known <c>detail</c>.
    /// </summary>
    private static void ValidateParts(JsonElement array, string field, string role)
    {
        var count = array.GetArrayLength();
        if (count == 0)
        {
            throw ApiException.BadField(field, $"'{field}' must contain at least one content part.");
        }

        var j = 0;
        foreach (var part in array.EnumerateArray())
        {
            var partField = $"{field}[{j++}]";
            if (part.ValueKind != JsonValueKind.Object)
            {
                throw WrongType(partField, "a content part object");
            }

            var type = StringProperty(part, "type", partField) ?? throw ApiException.Missing($"{partField}.type");
            var allowed = PartTypes[role]; // the role is one of Roles, each with its part types
            if (Array.IndexOf(allowed, type) < 0)
            {
                throw ApiException.BadField($"{partField}.type",
                    $"'{partField}.type' must be one of {string.Join(", ", allowed)} in a {role} message; got '{Truncate(type)}'.");
            }

            switch (type)
            {
                case "text":
                    _ = StringProperty(part, "text", partField) ?? throw ApiException.Missing($"{partField}.text");
                    break;
                case "image_url":
                    if (!part.TryGetProperty("image_url", out var image) || image.ValueKind == JsonValueKind.Null)
                    {
                        throw ApiException.Missing($"{partField}.image_url");
                    }

                    if (image.ValueKind != JsonValueKind.Object)
                    {
                        throw WrongType($"{partField}.image_url", "an object");
                    }

                    _ = StringProperty(image, "url", $"{partField}.image_url") ?? throw ApiException.Missing($"{partField}.image_url.url");
                    OneOf(StringProperty(image, "detail", $"{partField}.image_url"), $"{partField}.image_url.detail", ImageDetails);
                    break;
                default:
                    break; // input_audio, file, refusal: passed through for the provider to judge
            }
        }
    }

    private static List<ToolCall>? ToolCalls(List<ToolCallBody?>? calls, string role, string field)
    {
        if (calls is null)
        {
            return null;
        }

        if (role != "assistant")
        {
            throw ApiException.BadField($"{field}.tool_calls", $"'{field}.tool_calls' is only allowed on assistant messages.");
        }

        if (calls.Count == 0)
        {
            return null;
        }

        var result = new List<ToolCall>(calls.Count);
        for (var j = 0; j < calls.Count; j++)
        {
            var callField = $"{field}.tool_calls[{j}]";
            var call = calls[j] ?? throw WrongType(callField, "a tool call object");
            var id = Required(call.Id, $"{callField}.id");
            OneOf(call.Type, $"{callField}.type", "function");
            var function = call.Function ?? throw ApiException.Missing($"{callField}.function");
            var name = Required(function.Name, $"{callField}.function.name");
            result.Add(new ToolCall { Id = id, Name = name, Arguments = function.Arguments ?? "{}" });
        }

        return result;
    }

    private static List<ChatTool>? Tools(List<ChatToolBody?>? tools)
    {
        if (tools is null || tools.Count == 0)
        {
            return null;
        }

        if (tools.Count > MaxTools)
        {
            throw ApiException.BadField("tools", $"'tools' lists at most {MaxTools} tools.");
        }

        var result = new List<ChatTool>(tools.Count);
        for (var i = 0; i < tools.Count; i++)
        {
            var field = $"tools[{i}]";
            var tool = tools[i] ?? throw WrongType(field, "a tool object");
            var type = tool.Type ?? throw ApiException.Missing($"{field}.type");
            OneOf(type, $"{field}.type", "function");
            var function = tool.Function ?? throw ApiException.Missing($"{field}.function");
            var name = Required(function.Name, $"{field}.function.name");
            if (!FunctionName().IsMatch(name))
            {
                throw ApiException.BadField($"{field}.function.name",
                    $"'{field}.function.name' must be 1-64 letters, digits, underscores or dashes; got '{Truncate(name)}'.");
            }

            if (result.Exists(t => t.Name == name))
            {
                throw ApiException.BadField($"{field}.function.name", $"'{field}.function.name' repeats the tool name '{name}'.");
            }

            string? parameters = null;
            if (function.Parameters is { } schema && schema.ValueKind != JsonValueKind.Null)
            {
                if (schema.ValueKind != JsonValueKind.Object)
                {
                    throw WrongType($"{field}.function.parameters", "an object (a JSON Schema)");
                }

                parameters = schema.GetRawText();
            }

            result.Add(new ChatTool { Name = name, Description = function.Description, ParametersJson = parameters });
        }

        return result;
    }

    private static (string? Choice, string? Function) ToolChoice(JsonElement? choice, List<ChatTool>? tools)
    {
        switch (choice)
        {
            case null or { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined }:
                return (null, null);
            case { ValueKind: JsonValueKind.String } text:
                var value = text.GetString()!;
                OneOf(value, "tool_choice", ToolChoices);
                if (value == "required" && tools is null)
                {
                    throw ApiException.BadField("tool_choice", "'tool_choice' \"required\" needs at least one tool in 'tools'.");
                }

                return (value, null);
            case { ValueKind: JsonValueKind.Object } obj:
                var type = StringProperty(obj, "type", "tool_choice") ?? throw ApiException.Missing("tool_choice.type");
                OneOf(type, "tool_choice.type", "function");
                if (!obj.TryGetProperty("function", out var function) || function.ValueKind == JsonValueKind.Null)
                {
                    throw ApiException.Missing("tool_choice.function");
                }

                if (function.ValueKind != JsonValueKind.Object)
                {
                    throw WrongType("tool_choice.function", "an object");
                }

                var name = StringProperty(function, "name", "tool_choice.function") ?? throw ApiException.Missing("tool_choice.function.name");
                if (tools is null || !tools.Exists(t => t.Name == name))
                {
                    throw ApiException.BadField("tool_choice.function.name",
                        $"'tool_choice.function.name' names '{Truncate(name)}', which is not a function in 'tools'.");
                }

                // Forcing one function: ToolChoice stays null and ToolChoiceFunction names it (contract: Chat.cs).
                return (null, name);
            default:
                throw WrongType("tool_choice", "\"none\", \"auto\", \"required\" or {\"type\":\"function\",\"function\":{\"name\":…}}");
        }
    }

    private static List<string>? Stop(JsonElement? stop)
    {
        switch (stop)
        {
            case null or { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined }:
                return null;
            case { ValueKind: JsonValueKind.String } text:
                return [text.GetString()!];
            case { ValueKind: JsonValueKind.Array } array:
                if (array.GetArrayLength() > MaxStop)
                {
                    throw ApiException.BadField("stop", $"'stop' lists at most {MaxStop} sequences.");
                }

                var result = new List<string>();
                var i = 0;
                foreach (var item in array.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String)
                    {
                        throw WrongType($"stop[{i}]", "a string");
                    }

                    result.Add(item.GetString()!);
                    i++;
                }

                return result.Count == 0 ? null : result;
            default:
                throw WrongType("stop", "a string or an array of strings");
        }
    }

    /// <summary>Unknown OpenAI parameters as one raw JSON object, or null.</summary>
    private static string? Extra(Dictionary<string, JsonElement>? extension)
    {
        if (extension is null || extension.Count == 0)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in extension)
            {
                writer.WritePropertyName(name);
                value.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A string property, null when absent or JSON null; 400 when of another type.</summary>
    private static string? StringProperty(JsonElement obj, string name, string parentField)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw WrongType($"{parentField}.{name}", "a string");
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex FunctionName();
}

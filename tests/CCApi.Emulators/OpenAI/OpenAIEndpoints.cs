using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace CCApi.Emulators.OpenAI;

/// <summary>The emulator's request handling: auth, validation, failure modes, then a deterministic answer.</summary>
internal sealed partial class OpenAIEndpoints(OpenAIEmulator emulator)
{
    /// <summary>A real 1×1 PNG.</summary>
    public static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    private static readonly ConcurrentDictionary<string, byte[]> Files = new();

    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool"];
    private static readonly HashSet<string> Voices = ["alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse", "marin", "cedar"];
    private static readonly Dictionary<string, string> SpeechTypes = new()
    {
        ["mp3"] = "audio/mpeg", ["opus"] = "audio/opus", ["aac"] = "audio/aac", ["flac"] = "audio/flac", ["wav"] = "audio/wav", ["pcm"] = "audio/pcm",
    };

    private static readonly HashSet<string> Sizes = ["256x256", "512x512", "1024x1024", "1792x1024", "1024x1792", "1536x1024", "1024x1536"];

    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    public async Task ChatAsync(HttpContext http)
    {
        var (body, failure) = await BeginAsync(http);
        if (body is null)
        {
            return;
        }

        var problem = ValidateChat(body);
        if (problem is not null)
        {
            await problem(http);
            return;
        }

        var stream = body["stream"]?.GetValue<bool>() == true;
        var model = body["model"]!.GetValue<string>();
        if (model == "no-such-model")
        {
            await ErrorAsync(http, 404, $"The model `{model}` does not exist or you do not have access to it.", "invalid_request_error", null, "model_not_found");
            return;
        }

        if (await ApplyFailureAsync(http, failure, stream))
        {
            return;
        }

        var n = body["n"]?.GetValueKind() == JsonValueKind.Number ? body["n"]!.GetValue<int>() : 1;
        if (n is < 1 or > 128)
        {
            await InvalidAsync(http, "n", $"{n} is not valid for 'n': it must be between 1 and 128.");
            return;
        }

        // n choices: the first is the reply, each other one says which it is (a real model's choices differ too); each
        // has its own tool call id, and each is billed.
        var reply = Reply(body);
        var contents = Enumerable.Range(0, n).Select(i => i == 0 || reply.Content is null ? reply.Content : $"{reply.Content} (choice {i})").ToList();
        var reasoning = OpenAIEmulator.IsReasoningModel(model) ? OpenAIEmulator.ReasoningTokensPerChoice * n : 0;
        reply = reply with
        {
            CompletionTokens = reasoning + contents.Sum(c => c is null ? reply.CompletionTokens : Words(c).Count()),
            ReasoningTokens = reasoning,
            CachedTokens = emulator.CachedTokens(((JsonArray)body["messages"]!).ToJsonString(), reply.PromptTokens),
        };
        static string CallId(int choice) => choice == 0 ? "call_emulated_1" : $"call_emulated_{choice}_1";
        if (!stream)
        {
            var choices = new JsonArray();
            for (var i = 0; i < n; i++)
            {
                var message = new JsonObject { ["role"] = "assistant", ["content"] = contents[i] };
                if (reply.ToolName is not null)
                {
                    message["tool_calls"] = new JsonArray(new JsonObject
                    {
                        ["id"] = CallId(i), ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = reply.ToolName, ["arguments"] = reply.Arguments },
                    });
                }

                choices.Add(new JsonObject { ["index"] = i, ["message"] = message, ["logprobs"] = null, ["finish_reason"] = reply.FinishReason });
            }

            await JsonAsync(http, 200, new JsonObject
            {
                ["id"] = "chatcmpl-emulated", ["object"] = "chat.completion", ["created"] = 1700000000, ["model"] = model,
                ["system_fingerprint"] = "fp_emulator",
                ["choices"] = choices,
                ["usage"] = Usage(reply),
            });
            return;
        }

        http.Response.StatusCode = 200;
        http.Response.ContentType = "text/event-stream; charset=utf-8";
        for (var i = 0; i < n; i++)
        {
            await ChunkAsync(http, model, new JsonObject { ["role"] = "assistant", ["content"] = "" }, null, i);
        }

        if (reply.ToolName is not null)
        {
            for (var i = 0; i < n; i++)
            {
                await ChunkAsync(http, model, new JsonObject
                {
                    ["tool_calls"] = new JsonArray(new JsonObject
                    {
                        ["index"] = 0, ["id"] = CallId(i), ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = reply.ToolName, ["arguments"] = "" },
                    }),
                }, null, i);
                foreach (var fragment in Fragments(reply.Arguments!, 5))
                {
                    await ChunkAsync(http, model, new JsonObject
                    {
                        ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = 0, ["function"] = new JsonObject { ["arguments"] = fragment } }),
                    }, null, i);
                }
            }
        }
        else
        {
            // Choices interleaved word by word, as OpenAI streams them.
            var words = contents.Select(c => Words(c!).ToList()).ToList();
            var first = true;
            for (var w = 0; w < words.Max(list => list.Count); w++)
            {
                for (var i = 0; i < n; i++)
                {
                    if (w >= words[i].Count)
                    {
                        continue;
                    }

                    await ChunkAsync(http, model, new JsonObject { ["content"] = words[i][w] }, null, i);
                    if (first && emulator.HoldStreams is { } hold)
                    {
                        // Held mid-stream; SSE comment lines (as keep-alives) stop the reader's idle timeout meanwhile.
                        while (!hold.Task.IsCompleted)
                        {
                            await http.Response.WriteAsync(": held\n\n", http.RequestAborted);
                            await http.Response.Body.FlushAsync(http.RequestAborted);
                            await Task.WhenAny(hold.Task, Task.Delay(500, http.RequestAborted));
                            http.RequestAborted.ThrowIfCancellationRequested();
                        }
                    }

                    first = false;
                }
            }
        }

        for (var i = 0; i < n; i++)
        {
            await ChunkAsync(http, model, new JsonObject(), reply.FinishReason, i);
        }

        if (body["stream_options"]?["include_usage"]?.GetValue<bool>() == true)
        {
            await WriteEventAsync(http, new JsonObject
            {
                ["id"] = "chatcmpl-emulated", ["object"] = "chat.completion.chunk", ["created"] = 1700000000, ["model"] = model,
                ["choices"] = new JsonArray(), ["usage"] = Usage(reply),
            }.ToJsonString(Compact));
        }

        await WriteEventAsync(http, "[DONE]");
    }

    public async Task ImagesAsync(HttpContext http)
    {
        var (body, failure) = await BeginAsync(http);
        if (body is null)
        {
            return;
        }

        var model = body["model"]?.GetValueKind() == JsonValueKind.String ? body["model"]!.GetValue<string>() : "dall-e-2";
        var prompt = body["prompt"];
        if (prompt?.GetValueKind() != JsonValueKind.String || string.IsNullOrWhiteSpace(prompt.GetValue<string>()))
        {
            await InvalidAsync(http, "prompt", "'prompt' is a required property and must be a non-empty string.");
            return;
        }

        var n = body["n"]?.GetValueKind() == JsonValueKind.Number ? body["n"]!.GetValue<int>() : 1;
        if (n is < 1 or > 10)
        {
            await InvalidAsync(http, "n", $"{n} is not valid for 'n': it must be between 1 and 10.");
            return;
        }

        var size = body["size"]?.GetValueKind() == JsonValueKind.String ? body["size"]!.GetValue<string>() : "1024x1024";
        if (!Sizes.Contains(size))
        {
            await InvalidAsync(http, "size", $"'{size}' is not one of ['256x256', '512x512', '1024x1024', '1792x1024', '1024x1792', '1536x1024', '1024x1536'] - 'size'");
            return;
        }

        if (ModelSizes(model) is { } modelSizes && !modelSizes.Contains(size))
        {
            await InvalidAsync(http, "size", $"Invalid value: '{size}'. Supported values are: {string.Join(", ", modelSizes.Select(a => $"'{a}'"))}.", "invalid_value");
            return;
        }

        var format = body["response_format"]?.GetValue<string>();
        if (format is not null && model.StartsWith("gpt-image", StringComparison.Ordinal))
        {
            await InvalidAsync(http, "response_format", "Unknown parameter: 'response_format'.", "unknown_parameter");
            return;
        }

        if (format is not (null or "url" or "b64_json"))
        {
            await InvalidAsync(http, "response_format", $"'{format}' is not one of ['url', 'b64_json'] - 'response_format'");
            return;
        }

        if (Text(body, "style") is { } style && ModelSizes(model) is not null && model != "dall-e-3")
        {
            await InvalidAsync(http, "style", $"Unknown parameter: 'style'. It is supported only for dall-e-3, not {model}.", "unknown_parameter");
            return;
        }

        if (QualityProblem(model, Text(body, "quality")) is { } qualityProblem)
        {
            await InvalidAsync(http, "quality", qualityProblem, "invalid_value");
            return;
        }

        var options = GptImageOptions.Read(
            model, Text(body, "output_format"), body["output_compression"]?.GetValueKind() == JsonValueKind.Number ? body["output_compression"]!.GetValue<int>() : null,
            Text(body, "background"), Text(body, "moderation"));
        if (options.Problem is { } problem)
        {
            await InvalidAsync(http, problem.Param, problem.Message, problem.Code);
            return;
        }

        var stream = body["stream"]?.GetValueKind() == JsonValueKind.True;
        var partialImages = body["partial_images"] is { } p ? p.ToJsonString() : null;
        if (StreamProblem(model, stream, partialImages, n) is { } streamProblem)
        {
            await InvalidAsync(http, streamProblem.Param, streamProblem.Message, streamProblem.Code);
            return;
        }

        if (stream)
        {
            await StreamImagesAsync(http, failure, "image_generation", options.Image, n, partialImages is null ? 0 : int.Parse(partialImages, CultureInfo.InvariantCulture),
                size, Text(body, "quality"), Text(body, "background"), Text(body, "output_format"));
            return;
        }

        if (await ApplyFailureAsync(http, failure, stream: false))
        {
            return;
        }

        var image = options.Image;
        var asUrl = emulator.AnswerImagesWithUrls || format == "url" || (format is null && model.StartsWith("dall-e", StringComparison.Ordinal));
        var data = new JsonArray();
        for (var i = 0; i < n; i++)
        {
            if (asUrl)
            {
                var name = Guid.NewGuid().ToString("N") + ".png";
                Files[name] = image;
                data.Add(new JsonObject { ["url"] = $"{emulator.Origin}/files/{name}", ["revised_prompt"] = "emulated: " + prompt.GetValue<string>() });
            }
            else
            {
                data.Add(new JsonObject { ["b64_json"] = Convert.ToBase64String(image), ["revised_prompt"] = "emulated: " + prompt.GetValue<string>() });
            }
        }

        var answer = new JsonObject { ["created"] = 1700000000, ["data"] = data };
        if (model.StartsWith("gpt-image", StringComparison.Ordinal))
        {
            AddGptImageAccount(answer, size, Text(body, "quality"), Text(body, "background"), Text(body, "output_format"));
        }

        await JsonAsync(http, 200, answer);
    }

    public async Task SpeechAsync(HttpContext http)
    {
        var (body, failure) = await BeginAsync(http);
        if (body is null)
        {
            return;
        }

        if (body["model"]?.GetValueKind() != JsonValueKind.String)
        {
            await InvalidAsync(http, "model", "'model' is a required property.");
            return;
        }

        var input = body["input"];
        if (input?.GetValueKind() != JsonValueKind.String || input.GetValue<string>().Length is 0 or > 4096)
        {
            await InvalidAsync(http, "input", "'input' is required and must be 1 to 4096 characters.");
            return;
        }

        var voice = body["voice"]?.GetValueKind() == JsonValueKind.String ? body["voice"]!.GetValue<string>() : null;
        if (voice is null || !Voices.Contains(voice))
        {
            await InvalidAsync(http, "voice", $"Invalid value for 'voice': '{voice}'.");
            return;
        }

        var format = body["response_format"]?.GetValueKind() == JsonValueKind.String ? body["response_format"]!.GetValue<string>() : "mp3";
        if (!SpeechTypes.TryGetValue(format, out var contentType))
        {
            await InvalidAsync(http, "response_format", $"Invalid value for 'response_format': '{format}'.");
            return;
        }

        if (body["speed"] is { } speed && (speed.GetValueKind() != JsonValueKind.Number || speed.GetValue<double>() is < 0.25 or > 4.0))
        {
            await InvalidAsync(http, "speed", "'speed' must be between 0.25 and 4.0.");
            return;
        }

        var sse = body["stream_format"]?.GetValueKind() == JsonValueKind.String && body["stream_format"]!.GetValue<string>() == "sse";
        var model = body["model"]!.GetValue<string>();
        if (sse && model is "tts-1" or "tts-1-hd")
        {
            await InvalidAsync(http, "stream_format", $"stream_format 'sse' is not supported for {model}.");
            return;
        }

        var audio = AudioSamples.For(format);
        var pieces = EmulatorEndpoints.Pieces(audio);
        if (await ApplyFailureAsync(http, failure, stream: sse, partial: () =>
            {
                if (sse)
                {
                    http.Response.ContentType = "text/event-stream; charset=utf-8";
                    return WriteEventAsync(http, SpeechDelta(pieces[0]));
                }

                http.Response.ContentType = contentType;
                return http.Response.Body.WriteAsync(audio.AsMemory(0, audio.Length / 2)).AsTask();
            }))
        {
            return;
        }

        if (sse)
        {
            // OpenAI's speech events: a speech.audio.delta per piece (HoldStreams holds after the first), then speech.audio.done with the token counts.
            http.Response.StatusCode = 200;
            http.Response.ContentType = "text/event-stream; charset=utf-8";
            for (var i = 0; i < pieces.Length; i++)
            {
                await WriteEventAsync(http, SpeechDelta(pieces[i]));
                if (i == 0 && emulator.HoldStreams is { } hold)
                {
                    await hold.Task.WaitAsync(http.RequestAborted);
                }
            }

            var (inputTokens, outputTokens) = OpenAIEmulator.SpeechTokens(body["input"]!.GetValue<string>());
            await WriteEventAsync(http, new JsonObject
            {
                ["type"] = "speech.audio.done",
                ["usage"] = new JsonObject { ["input_tokens"] = inputTokens, ["output_tokens"] = outputTokens, ["total_tokens"] = inputTokens + outputTokens },
            }.ToJsonString());
            return;
        }

        // As OpenAI sends speech: chunked, as it is made — here four pieces, each flushed; HoldStreams holds after the first.
        http.Response.StatusCode = 200;
        http.Response.ContentType = contentType;
        await EmulatorEndpoints.WriteInPiecesAsync(http, audio, emulator.HoldStreams);
    }

    private static string SpeechDelta(byte[] piece) =>
        new JsonObject { ["type"] = "speech.audio.delta", ["audio"] = Convert.ToBase64String(piece) }.ToJsonString();

    public static IResult File(string name) =>
        Files.TryGetValue(name, out var bytes) ? Results.Bytes(bytes, "image/png") : Results.NotFound();

    /// <summary>Records the request, checks the bearer key and reads the JSON body; null body = already answered.</summary>
    private async Task<(JsonObject? Body, EmulatorFailure? Failure)> BeginAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        var authorization = http.Request.Headers.Authorization.ToString();
        var failure = emulator.TakeFailure(text);
        emulator.Requests.Enqueue(new RecordedRequest(http.Request.Path.Value!, authorization, text, failure?.Mode));

        if (string.IsNullOrEmpty(authorization) || !authorization.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            await ErrorAsync(http, 401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                "invalid_request_error", null, null);
            return (null, null);
        }

        var key = authorization["Bearer ".Length..];
        if (key != emulator.ApiKey)
        {
            await ErrorAsync(http, 401, $"Incorrect API key provided: {Redact(key)}. You can find your API key at https://platform.openai.com/account/api-keys.",
                "invalid_request_error", null, "invalid_api_key");
            return (null, null);
        }

        if (!(http.Request.ContentType ?? "").StartsWith("application/json", StringComparison.Ordinal))
        {
            await InvalidAsync(http, null, "Invalid Content-Type header, expected application/json.");
            return (null, null);
        }

        try
        {
            if (JsonNode.Parse(text) is JsonObject body)
            {
                return (body, failure);
            }
        }
        catch (JsonException)
        {
        }

        await InvalidAsync(http, null, "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)");
        return (null, null);
    }

    /// <summary>True when the failure answered the request (or cut it); a stream is cut after its first chunk.</summary>
    /// <param name="partial">What a cut response sends before the cut, when it is not a chat stream's first chunk.</param>
    private static Task<bool> ApplyFailureAsync(HttpContext http, EmulatorFailure? failure, bool stream, Func<Task>? partial = null) => EmulatorEndpoints.AnswerFailureAsync(http, failure,
        rateLimited: () => ErrorAsync(http, 429, "Rate limit reached for requests. Please try again in 1s.", "requests", null, "rate_limit_exceeded"),
        serverError: () => ErrorAsync(http, 500, "The server had an error while processing your request. Sorry about that!", "server_error", null, null),
        malformed: async () =>
        {
            if (stream)
            {
                http.Response.ContentType = "text/event-stream; charset=utf-8";
                await WriteEventAsync(http, "{\"id\":\"chatcmpl-broken\",\"choices\":[{\"delta\":");
                await WriteEventAsync(http, "[DONE]");
            }
            else
            {
                http.Response.ContentType = "application/json";
                await http.Response.WriteAsync("{\"id\": \"broken\", \"choices\": [ {\"message\": ");
            }
        },
        partial: partial ?? (stream
            ? () =>
            {
                http.Response.ContentType = "text/event-stream; charset=utf-8";
                return WriteEventAsync(http, "{\"id\":\"chatcmpl-emulated\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Partial \"},\"finish_reason\":null}]}");
            }
            : null));

    private static Func<HttpContext, Task>? ValidateChat(JsonObject body)
    {
        if (body["model"]?.GetValueKind() != JsonValueKind.String)
        {
            return h => InvalidAsync(h, "model", "you must provide a model parameter");
        }

        if (body["messages"] is not JsonArray messages || messages.Count == 0)
        {
            return h => InvalidAsync(h, "messages", "'messages' must be a non-empty array.");
        }

        for (var i = 0; i < messages.Count; i++)
        {
            var index = i;
            if (messages[i] is not JsonObject m || m["role"]?.GetValueKind() != JsonValueKind.String || !Roles.Contains(m["role"]!.GetValue<string>()))
            {
                return h => InvalidAsync(h, $"messages[{index}].role", $"Invalid value for 'messages[{index}].role'.");
            }

            var content = m["content"];
            var kind = content?.GetValueKind() ?? JsonValueKind.Null;
            if (kind is not (JsonValueKind.String or JsonValueKind.Array or JsonValueKind.Null))
            {
                return h => InvalidAsync(h, $"messages[{index}].content", $"Invalid type for 'messages[{index}].content'.");
            }

            if (kind == JsonValueKind.Null && !(m["role"]!.GetValue<string>() == "assistant" && m["tool_calls"] is JsonArray))
            {
                return h => InvalidAsync(h, $"messages[{index}].content", $"Invalid value for 'messages[{index}].content': expected a string, got null.");
            }

            if (m["role"]!.GetValue<string>() == "tool" && m["tool_call_id"]?.GetValueKind() != JsonValueKind.String)
            {
                return h => InvalidAsync(h, $"messages[{index}].tool_call_id", $"Missing required parameter: 'messages[{index}].tool_call_id'.", "missing_required_parameter");
            }
        }

        if (body["stream"] is { } stream && stream.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
        {
            return h => InvalidAsync(h, "stream", "Invalid type for 'stream': expected a boolean.");
        }

        if (body["stream_options"] is not null && body["stream"]?.GetValueKind() != JsonValueKind.True)
        {
            return h => InvalidAsync(h, "stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
        }

        if (body["temperature"] is { } t && (t.GetValueKind() != JsonValueKind.Number || t.GetValue<double>() is < 0 or > 2))
        {
            return h => InvalidAsync(h, "temperature", "Invalid 'temperature': must be between 0 and 2.", "decimal_above_max_value");
        }

        if (body["tools"] is { } tools)
        {
            if (tools is not JsonArray list)
            {
                return h => InvalidAsync(h, "tools", "Invalid type for 'tools': expected an array.");
            }

            for (var i = 0; i < list.Count; i++)
            {
                var index = i;
                if (list[i] is not JsonObject tool || tool["type"]?.GetValue<string>() != "function" || tool["function"]?["name"]?.GetValueKind() != JsonValueKind.String)
                {
                    return h => InvalidAsync(h, $"tools[{index}].function.name", $"Missing required parameter: 'tools[{index}].function.name'.", "missing_required_parameter");
                }
            }
        }

        return null;
    }

    private sealed record EmulatedReply(string? Content, string? ToolName, string? Arguments, string FinishReason, int PromptTokens, int CompletionTokens)
    {
        public int CachedTokens { get; init; }

        public int ReasoningTokens { get; init; }
    }

    private static EmulatedReply Reply(JsonObject body)
    {
        var messages = (JsonArray)body["messages"]!;
        var prompt = Math.Max(1, messages.ToJsonString().Length / 4);
        var toolChoice = body["tool_choice"];
        var none = toolChoice?.GetValueKind() == JsonValueKind.String && toolChoice.GetValue<string>() == "none";
        if (body["tools"] is JsonArray { Count: > 0 } tools && !none && messages[^1]?["role"]?.GetValue<string>() != "tool")
        {
            var name = (toolChoice as JsonObject)?["function"]?["name"]?.GetValue<string>() ?? tools[0]!["function"]!["name"]!.GetValue<string>();
            return new EmulatedReply(null, name, "{\"city\":\"Paris\",\"unit\":\"celsius\"}", "tool_calls", prompt, 12);
        }

        var last = messages.LastOrDefault(m => m?["role"]?.GetValue<string>() == "user")?["content"];
        var text = last?.GetValueKind() == JsonValueKind.String ? last.GetValue<string>() : "(content parts)";
        var content = "Emulated reply to: " + text;
        return new EmulatedReply(content, null, null, "stop", prompt, Words(content).Count());
    }

    private static JsonObject Usage(EmulatedReply reply) => new()
    {
        ["prompt_tokens"] = reply.PromptTokens,
        ["completion_tokens"] = reply.CompletionTokens,
        ["total_tokens"] = reply.PromptTokens + reply.CompletionTokens,
        ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = reply.CachedTokens, ["audio_tokens"] = 0 },
        ["completion_tokens_details"] = new JsonObject
        {
            ["reasoning_tokens"] = reply.ReasoningTokens, ["audio_tokens"] = 0, ["accepted_prediction_tokens"] = 0, ["rejected_prediction_tokens"] = 0,
        },
    };

    /// <summary>OpenAI's generation sizes per model; null for a model it does not know (only the union is checked).</summary>
    private static string[]? ModelSizes(string model) =>
        model.StartsWith("gpt-image", StringComparison.Ordinal) ? ["1024x1024", "1536x1024", "1024x1536", "auto"]
        : model == "dall-e-3" ? ["1024x1024", "1792x1024", "1024x1792"]
        : model == "dall-e-2" ? ["256x256", "512x512", "1024x1024"]
        : null;

    /// <summary>OpenAI's qualities per model: gpt-image low/medium/high/auto, dall-e-3 standard/hd, dall-e-2 standard only; null when accepted.</summary>
    internal static string? QualityProblem(string model, string? quality)
    {
        string[] allowed = model.StartsWith("gpt-image", StringComparison.Ordinal) ? ["low", "medium", "high", "auto"]
            : model == "dall-e-3" ? ["standard", "hd"]
            : ["standard"];
        return quality is null || allowed.Contains(quality)
            ? null
            : $"Invalid value: '{quality}'. Supported values are: {string.Join(", ", allowed.Select(a => $"'{a}'"))}.";
    }

    private static string? Text(JsonObject body, string name) => body[name]?.GetValueKind() == JsonValueKind.String ? body[name]!.GetValue<string>() : null;

    private static IEnumerable<string> Words(string text) => WordPattern().Matches(text).Select(m => m.Value);

    private static IEnumerable<string> Fragments(string text, int size)
    {
        for (var i = 0; i < text.Length; i += size)
        {
            yield return text.Substring(i, Math.Min(size, text.Length - i));
        }
    }

    private static Task ChunkAsync(HttpContext http, string model, JsonObject delta, string? finishReason, int index = 0) =>
        WriteEventAsync(http, new JsonObject
        {
            ["id"] = "chatcmpl-emulated", ["object"] = "chat.completion.chunk", ["created"] = 1700000000, ["model"] = model,
            ["system_fingerprint"] = "fp_emulator",
            ["choices"] = new JsonArray(new JsonObject { ["index"] = index, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finishReason }),
        }.ToJsonString(Compact));

    private static async Task WriteEventAsync(HttpContext http, string data)
    {
        await http.Response.WriteAsync($"data: {data}\n\n");
        await http.Response.Body.FlushAsync();
    }

    private static Task InvalidAsync(HttpContext http, string? param, string message, string? code = null) =>
        ErrorAsync(http, 400, message, "invalid_request_error", param, code);

    private static Task ErrorAsync(HttpContext http, int status, string message, string type, string? param, string? code) =>
        JsonAsync(http, status, new JsonObject
        {
            ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = param, ["code"] = code },
        });

    private static async Task JsonAsync(HttpContext http, int status, JsonObject body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body.ToJsonString(Compact));
    }

    private static string Redact(string key) => key.Length <= 8 ? "****" : key[..3] + "*****" + key[^4..];

    [GeneratedRegex(@"\S+\s*")]
    private static partial Regex WordPattern();
}

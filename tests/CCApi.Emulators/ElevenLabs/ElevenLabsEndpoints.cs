using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace CCApi.Emulators.ElevenLabs;

/// <summary>The emulator's request handling: auth, validation (422 first, as FastAPI does, then the handler's 4xx), failure modes, then audio.</summary>
internal sealed class ElevenLabsEndpoints(ElevenLabsEmulator emulator)
{
    private const string ApiKeyHeader = "xi-api-key";

    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    public Task SpeechAsync(HttpContext http, [FromRoute(Name = "voice_id")] string voiceId) => SpeakAsync(http, voiceId, stream: false);

    /// <summary>The streaming endpoint: the same request and checks, the audio sent chunked as it is "generated" (four flushed pieces).</summary>
    public Task StreamSpeechAsync(HttpContext http, [FromRoute(Name = "voice_id")] string voiceId) => SpeakAsync(http, voiceId, stream: true);

    private async Task SpeakAsync(HttpContext http, string voiceId, bool stream)
    {
        var outputFormat = http.Request.Query.TryGetValue("output_format", out var q) ? q.ToString() : null;
        var (text, failure, authorized) = await BeginAsync(http);
        emulator.SpeechCalls.Enqueue(new SpeechCall(voiceId, outputFormat, KeyOf(http), text));
        if (!authorized)
        {
            return;
        }

        var format = outputFormat ?? "mp3_44100_128";
        var problems = new JsonArray();
        if (!ElevenLabsEmulator.OutputFormats.Contains(format))
        {
            problems.Add(Problem("enum", ["query", "output_format"], $"Input should be {string.Join(", ", ElevenLabsEmulator.OutputFormats.Order().Select(f => $"'{f}'"))}", format));
        }

        JsonObject? body = null;
        if (!(http.Request.ContentType ?? "").StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add(Problem("model_attributes_type", ["body"], "Input should be a valid dictionary or object to extract fields from", text));
        }
        else
        {
            body = EmulatorEndpoints.ParseObject(text);
            if (body is null)
            {
                problems.Add(Problem("json_invalid", ["body", 0], "JSON decode error", text));
            }
        }

        if (body is not null)
        {
            ValidateBody(body, problems);
        }

        if (problems.Count > 0)
        {
            await JsonAsync(http, 422, new JsonObject { ["detail"] = problems });
            return;
        }

        var input = body!["text"]!.GetValue<string>();
        var model = body["model_id"]?.GetValue<string>() ?? "eleven_multilingual_v2";
        if (emulator.QuotaExceeded)
        {
            await DetailAsync(http, 401, "quota_exceeded",
                $"This request exceeds your quota of 10000. You have 0 credits remaining, while {input.Length} credits are required for this request.");
            return;
        }

        if (!emulator.TryGetVoice(voiceId, out _))
        {
            await DetailAsync(http, 404, "voice_not_found", $"A voice with the voice_id {voiceId} was not found.");
            return;
        }

        if (!ElevenLabsEmulator.Models.TryGetValue(model, out var limit))
        {
            await DetailAsync(http, 400, "invalid_uid", $"An invalid ID has been received: '{model}'. Make sure to provide a correct one.");
            return;
        }

        if (input.Length > limit)
        {
            await DetailAsync(http, 400, "max_character_limit_exceeded",
                $"This request's text has {input.Length} characters and exceeds the character limit of {limit} characters.");
            return;
        }

        if (await ApplyFailureAsync(http, failure, json: false))
        {
            return;
        }

        var (audio, contentType) = EmulatedAudio.For(format, input);
        http.Response.StatusCode = 200;
        http.Response.ContentType = contentType;
        http.Response.Headers["request-id"] = Guid.NewGuid().ToString("N");
        http.Response.Headers["character-cost"] = input.Length.ToString(CultureInfo.InvariantCulture);
        if (!stream)
        {
            await http.Response.Body.WriteAsync(audio);
            return;
        }

        await EmulatorEndpoints.WriteInPiecesAsync(http, audio, emulator.HoldStreams);
    }

    public async Task VoicesAsync(HttpContext http)
    {
        var (_, failure, authorized) = await BeginAsync(http);
        if (!authorized || await ApplyFailureAsync(http, failure, json: true))
        {
            return;
        }

        var legacy = string.Equals(http.Request.Query["show_legacy"], "true", StringComparison.OrdinalIgnoreCase);
        var voices = new JsonArray();
        foreach (var voice in emulator.Voices.Where(v => legacy || !v.Legacy).OrderBy(v => v.Name, StringComparer.Ordinal))
        {
            voices.Add(new JsonObject
            {
                ["voice_id"] = voice.Id,
                ["name"] = voice.Name,
                ["category"] = voice.Category,
                ["labels"] = new JsonObject { ["accent"] = "american" },
                ["description"] = null,
                ["preview_url"] = $"{emulator.Origin}/previews/{voice.Id}.mp3",
                ["available_for_tiers"] = new JsonArray(),
                ["settings"] = null,
                ["is_legacy"] = voice.Legacy,
            });
        }

        await JsonAsync(http, 200, new JsonObject { ["voices"] = voices });
    }

    /// <summary>Records the request and checks xi-api-key; not authorized = already answered 401.</summary>
    private async Task<(string Body, EmulatorFailure? Failure, bool Authorized)> BeginAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        var key = KeyOf(http);
        var failure = emulator.TakeFailure(text);
        emulator.Requests.Enqueue(new RecordedRequest(http.Request.Path.Value!, key, text, failure?.Mode));

        if (string.IsNullOrEmpty(key))
        {
            await DetailAsync(http, 401, "needs_authorization", "Neither authorization header nor xi-api-key received, please provide one.");
            return (text, null, false);
        }

        if (key != emulator.ApiKey)
        {
            await DetailAsync(http, 401, "invalid_api_key", "Invalid API key");
            return (text, null, false);
        }

        return (text, failure, true);
    }

    private static void ValidateBody(JsonObject body, JsonArray problems)
    {
        var text = body["text"];
        if (text is null)
        {
            problems.Add(Problem("missing", ["body", "text"], "Field required", null));
        }
        else if (text.GetValueKind() != JsonValueKind.String)
        {
            problems.Add(Problem("string_type", ["body", "text"], "Input should be a valid string", text.DeepClone()));
        }
        else if (text.GetValue<string>().Length == 0)
        {
            problems.Add(Problem("string_too_short", ["body", "text"], "String should have at least 1 character", ""));
        }

        if (body["model_id"] is { } model && model.GetValueKind() != JsonValueKind.String)
        {
            problems.Add(Problem("string_type", ["body", "model_id"], "Input should be a valid string", model.DeepClone()));
        }

        if (body["voice_settings"] is not { } settings || settings.GetValueKind() == JsonValueKind.Null)
        {
            return;
        }

        if (settings is not JsonObject voiceSettings)
        {
            problems.Add(Problem("model_attributes_type", ["body", "voice_settings"], "Input should be a valid dictionary or object to extract fields from", settings.DeepClone()));
            return;
        }

        foreach (var (name, min, max) in new[] { ("stability", 0.0, 1.0), ("similarity_boost", 0.0, 1.0), ("style", 0.0, 1.0), ("speed", 0.7, 1.2) })
        {
            if (voiceSettings[name] is not { } value)
            {
                continue;
            }

            if (value.GetValueKind() != JsonValueKind.Number)
            {
                problems.Add(Problem("float_type", ["body", "voice_settings", name], "Input should be a valid number", value.DeepClone()));
            }
            else if (value.GetValue<double>() < min)
            {
                problems.Add(Problem("greater_than_equal", ["body", "voice_settings", name], $"Input should be greater than or equal to {min.ToString(CultureInfo.InvariantCulture)}", value.DeepClone()));
            }
            else if (value.GetValue<double>() > max)
            {
                problems.Add(Problem("less_than_equal", ["body", "voice_settings", name], $"Input should be less than or equal to {max.ToString(CultureInfo.InvariantCulture)}", value.DeepClone()));
            }
        }

        if (voiceSettings["use_speaker_boost"] is { } boost && boost.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
        {
            problems.Add(Problem("bool_type", ["body", "voice_settings", "use_speaker_boost"], "Input should be a valid boolean", boost.DeepClone()));
        }
    }

    /// <summary>True when the failure answered the request (or cut it).</summary>
    private static Task<bool> ApplyFailureAsync(HttpContext http, EmulatorFailure? failure, bool json) => EmulatorEndpoints.AnswerFailureAsync(http, failure,
        rateLimited: () => JsonAsync(http, 429, new JsonObject
        {
            ["detail"] = new JsonObject
            {
                ["type"] = "rate_limit_error",
                ["code"] = "concurrent_limit_exceeded",
                ["status"] = "too_many_concurrent_requests",
                ["message"] = "Too many concurrent requests. Your current subscription is associated with a maximum of 5 concurrent requests (running in parallel).",
                ["request_id"] = Guid.NewGuid().ToString("N"),
            },
        }),
        serverError: () => DetailAsync(http, 500, "internal_server_error", "An internal server error occurred. Please try again later."),
        malformed: async () =>
        {
            if (json)
            {
                http.Response.ContentType = "application/json";
                await http.Response.WriteAsync("{\"voices\": [ {\"voice_id\": ");
            }
            else
            {
                http.Response.ContentType = "audio/mpeg";
                await http.Response.Body.WriteAsync(EmulatedAudio.NotAudio());
            }
        },
        partial: async () =>
        {
            // Headers promise the whole file, part of it is sent, then the connection is cut.
            var audio = EmulatedAudio.Mp3(1.0);
            http.Response.ContentType = json ? "application/json" : "audio/mpeg";
            http.Response.ContentLength = audio.Length;
            await http.Response.Body.WriteAsync(audio.AsMemory(0, audio.Length / 3));
        });

    private static string? KeyOf(HttpContext http) =>
        http.Request.Headers.TryGetValue(ApiKeyHeader, out var key) ? key.ToString() : null;

    private static JsonObject Problem(string type, JsonArray loc, string msg, JsonNode? input) => new()
    {
        ["type"] = type,
        ["loc"] = loc,
        ["msg"] = msg,
        ["input"] = input,
    };

    private static Task DetailAsync(HttpContext http, int status, string code, string message) =>
        JsonAsync(http, status, new JsonObject { ["detail"] = new JsonObject { ["status"] = code, ["message"] = message } });

    private static async Task JsonAsync(HttpContext http, int status, JsonObject body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body.ToJsonString(Compact));
    }
}

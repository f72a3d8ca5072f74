using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CCApi.Emulators.StabilityAI;

/// <summary>The emulator's request handling: auth, validation (Stability's error bodies), failure modes, then real PNGs.</summary>
internal sealed class StabilityAIEndpoints(StabilityAIEmulator emulator)
{
    /// <summary>The dimensions SDXL 1.0 (and 0.9) engines accept, as "WIDTHxHEIGHT".</summary>
    public static readonly string[] SdxlDimensions = ["1024x1024", "1152x896", "1216x832", "1344x768", "1536x640", "640x1536", "768x1344", "832x1216", "896x1152"];

    public static readonly string[] StylePresets =
    [
        "3d-model", "analog-film", "anime", "cinematic", "comic-book", "digital-art", "enhance", "fantasy-art", "isometric",
        "line-art", "low-poly", "modeling-compound", "neon-punk", "origami", "photographic", "pixel-art", "tile-texture",
    ];

    public static readonly string[] Samplers = ["DDIM", "DDPM", "K_DPMPP_2M", "K_DPMPP_2S_ANCESTRAL", "K_DPM_2", "K_DPM_2_ANCESTRAL", "K_EULER", "K_EULER_ANCESTRAL", "K_HEUN", "K_LMS"];
    public static readonly string[] ClipGuidancePresets = ["FAST_BLUE", "FAST_GREEN", "NONE", "SIMPLE", "SLOW", "SLOWER", "SLOWEST"];

    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>What a generation request asks for once its transport (JSON or multipart) is read.</summary>
    private sealed record Generation(string Engine, List<(string Text, double Weight)> Prompts, int Width, int Height, int Samples, long Seed);

    public async Task TextToImageAsync(HttpContext http, string engine_id)
    {
        var text = await new StreamReader(http.Request.Body, Encoding.UTF8).ReadToEndAsync(http.RequestAborted);
        var failure = Begin(http, text);
        if (await RefuseAsync(http, engine_id))
        {
            return;
        }

        if (!(http.Request.ContentType ?? "").StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            await ErrorAsync(http, 400, "bad_request", "content-type: must be application/json");
            return;
        }

        if (EmulatorEndpoints.ParseObject(text) is not { } body)
        {
            await ErrorAsync(http, 400, "bad_request", "request body: must be a JSON object");
            return;
        }

        var prompted = Prompts(body["text_prompts"], out var prompts);
        var sized = Dimensions(engine_id, Int(body, "width"), Int(body, "height"), out var width, out var height);
        var common = Common(name => body[name] is { } node ? node.ToJsonString() : null, out var samples, out var seed);
        if ((prompted ?? sized ?? common) is { } problem)
        {
            await ErrorAsync(http, 400, problem.Name, problem.Message);
            return;
        }

        await AnswerAsync(http, failure, new Generation(engine_id, prompts, width, height, samples, seed));
    }

    public Task ImageToImageAsync(HttpContext http, string engine_id) => FromInitImageAsync(http, engine_id, masking: false);

    /// <summary>
    /// POST …/image-to-image/masking: init_image, mask_source (MASK_IMAGE_WHITE: white pixels are repainted;
    /// MASK_IMAGE_BLACK: black ones; INIT_IMAGE_ALPHA: the init image's transparent ones), mask_image (required for the
    /// MASK_IMAGE_* sources, the init image's dimensions), text_prompts, and the common generation fields.
    /// </summary>
    public Task MaskingAsync(HttpContext http, string engine_id) => FromInitImageAsync(http, engine_id, masking: true);

    private async Task FromInitImageAsync(HttpContext http, string engine_id, bool masking)
    {
        if (!http.Request.HasFormContentType || !(http.Request.ContentType ?? "").StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            Begin(http, "");
            if (!await RefuseAsync(http, engine_id))
            {
                await ErrorAsync(http, 400, "bad_request", "content-type: must be multipart/form-data");
            }

            return;
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var recorded = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (key, value) in form)
        {
            recorded[key] = value.ToString();
        }

        foreach (var file in form.Files)
        {
            using var buffer = new MemoryStream();
            await file.CopyToAsync(buffer, http.RequestAborted);
            recorded[file.Name] = buffer.ToArray();
            recorded[file.Name + ".content_type"] = file.ContentType ?? "";
        }

        var failure = Begin(http, JsonSerializer.Serialize(recorded.Where(kv => kv.Value is string).ToDictionary(kv => kv.Key, kv => kv.Value), Compact));
        emulator.Forms.Enqueue(recorded);
        if (await RefuseAsync(http, engine_id))
        {
            return;
        }

        if (recorded.GetValueOrDefault("init_image") is not byte[] init)
        {
            await ErrorAsync(http, 400, "bad_request", "init_image: is required");
            return;
        }

        if (!(PngImage.IsPng(init) || init.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])
              || (init.Length >= 12 && init.AsSpan(0, 4).SequenceEqual("RIFF"u8) && init.AsSpan(8, 4).SequenceEqual("WEBP"u8))))
        {
            await ErrorAsync(http, 400, "invalid_mime_type", "init_image: the mime type of the provided file is invalid (expected image/png, image/jpeg or image/webp)");
            return;
        }

        if (masking)
        {
            var source = form["mask_source"].ToString();
            if (source is not ("MASK_IMAGE_WHITE" or "MASK_IMAGE_BLACK" or "INIT_IMAGE_ALPHA"))
            {
                await ErrorAsync(http, 400, "bad_request",
                    $"mask_source: value must be one of \"MASK_IMAGE_WHITE\", \"MASK_IMAGE_BLACK\", \"INIT_IMAGE_ALPHA\" but got value \"{source}\"");
                return;
            }

            if (source != "INIT_IMAGE_ALPHA")
            {
                if (recorded.GetValueOrDefault("mask_image") is not byte[] mask)
                {
                    await ErrorAsync(http, 400, "bad_request", $"mask_image: is required when mask_source is {source}");
                    return;
                }

                if (!PngImage.IsPng(mask) && !mask.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
                {
                    await ErrorAsync(http, 400, "invalid_mime_type", "mask_image: the mime type of the provided file is invalid (expected image/png or image/jpeg)");
                    return;
                }

                if (PngImage.SizeOf(mask) is { } maskSize && PngImage.SizeOf(init) is { } initSize && maskSize != initSize)
                {
                    await ErrorAsync(http, 400, "invalid_mask_dimensions",
                        $"mask_image: dimensions ({maskSize.Width}x{maskSize.Height}) must match init_image ({initSize.Width}x{initSize.Height})");
                    return;
                }
            }
        }

        var mode = form["init_image_mode"].ToString() is { Length: > 0 } m ? m : "IMAGE_STRENGTH";
        if (!masking && mode is not ("IMAGE_STRENGTH" or "STEP_SCHEDULE"))
        {
            await ErrorAsync(http, 400, "bad_request", $"init_image_mode: value must be one of \"IMAGE_STRENGTH\", \"STEP_SCHEDULE\" but got value \"{mode}\"");
            return;
        }

        foreach (var name in new[] { "image_strength", "step_schedule_start", "step_schedule_end" })
        {
            if (form.ContainsKey(name) && (!double.TryParse(form[name], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v is < 0 or > 1))
            {
                await ErrorAsync(http, 400, "bad_request", $"{name}: must be a number between 0 and 1");
                return;
            }
        }

        var prompts = new JsonArray();
        foreach (var index in form.Keys.Select(PromptIndex).OfType<int>().Distinct().Order())
        {
            var prompt = new JsonObject { ["text"] = form[$"text_prompts[{index}][text]"].ToString() };
            if (form.ContainsKey($"text_prompts[{index}][weight]"))
            {
                prompt["weight"] = double.TryParse(form[$"text_prompts[{index}][weight]"], NumberStyles.Float, CultureInfo.InvariantCulture, out var w) ? w : double.NaN;
            }

            prompts.Add(prompt);
        }

        var (w0, h0) = PngImage.SizeOf(init) ?? (1024, 1024);
        var prompted = Prompts(prompts.Count == 0 ? null : prompts, out var parsed);
        var common = Common(name => form.ContainsKey(name) ? Quote(form[name].ToString()) : null, out var samples, out var seed);
        if ((prompted ?? common) is { } problem)
        {
            await ErrorAsync(http, 400, problem.Name, problem.Message);
            return;
        }

        await AnswerAsync(http, failure, new Generation(engine_id, parsed, w0, h0, samples, seed));
    }

    public async Task ListEnginesAsync(HttpContext http)
    {
        Begin(http, "");
        if (await RefuseAsync(http, engine: null))
        {
            return;
        }

        await JsonAsync(http, 200, new JsonArray([.. StabilityAIEmulator.Engines.Select(e => (JsonNode)new JsonObject
        {
            ["id"] = e, ["name"] = e, ["description"] = "Stability-AI " + e, ["type"] = "PICTURE",
        })]));
    }

    /// <summary>Records the request and takes the queued failure (if any) for it.</summary>
    private EmulatorFailure? Begin(HttpContext http, string body)
    {
        var failure = emulator.TakeFailure(body);
        emulator.Requests.Enqueue(new RecordedRequest(http.Request.Path.Value!, http.Request.Headers.Authorization.ToString(), body, failure?.Mode));
        return failure;
    }

    /// <summary>Auth (401 missing/wrong key, 403 no permission), the Accept header and the engine (404); true = answered.</summary>
    private async Task<bool> RefuseAsync(HttpContext http, string? engine)
    {
        var authorization = http.Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(authorization))
        {
            await ErrorAsync(http, 401, "unauthorized", "missing authorization header");
            return true;
        }

        var key = authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..] : authorization;
        if (key.StartsWith(StabilityAIEmulator.ForbiddenKeyPrefix, StringComparison.Ordinal))
        {
            await ErrorAsync(http, 403, "permission_denied", "You do not have permission to access this resource");
            return true;
        }

        if (key != emulator.ApiKey)
        {
            await ErrorAsync(http, 401, "unauthorized", "Incorrect API key provided");
            return true;
        }

        var accept = http.Request.Headers.Accept.ToString();
        if (accept.Length > 0 && !accept.Contains("application/json", StringComparison.OrdinalIgnoreCase)
            && !accept.Contains("image/png", StringComparison.OrdinalIgnoreCase) && !accept.Contains("*/*", StringComparison.Ordinal))
        {
            await ErrorAsync(http, 400, "bad_request", "accept: must be one of \"application/json\", \"image/png\"");
            return true;
        }

        if (engine is not null && !StabilityAIEmulator.Engines.Contains(engine))
        {
            await ErrorAsync(http, 404, "not_found", $"The specified engine (ID {engine}) was not found.");
            return true;
        }

        return false;
    }

    /// <summary>The failure mode (if any), then the documented answer: JSON artifacts, or one PNG for Accept: image/png.</summary>
    private static async Task AnswerAsync(HttpContext http, EmulatorFailure? failure, Generation generation)
    {
        var asPng = http.Request.Headers.Accept.ToString().Contains("image/png", StringComparison.OrdinalIgnoreCase);
        if (asPng && generation.Samples > 1)
        {
            await ErrorAsync(http, 400, "invalid_samples", "Sample count may only be greater than 1 when the accept header is set to `application/json`");
            return;
        }

        var prompt = string.Join(" ", generation.Prompts.Where(p => p.Weight > 0).Select(p => p.Text));
        if (prompt.Contains(StabilityAIEmulator.FilteredWord, StringComparison.OrdinalIgnoreCase))
        {
            await ErrorAsync(http, 400, "invalid_prompts", "One or more prompts contains filtered words.");
            return;
        }

        if (await EmulatorEndpoints.AnswerFailureAsync(http, failure,
            rateLimited: () => ErrorAsync(http, 429, "rate_limit_exceeded",
                "You have exceeded the rate limit of 150 requests within a 10 second period, and have been timed out for 60 seconds."),
            serverError: () => ErrorAsync(http, 500, "server_error", "An unexpected server error occurred, please try again."),
            malformed: () =>
            {
                http.Response.ContentType = "application/json";
                return http.Response.WriteAsync("{\"artifacts\": [ {\"base64\": \"iVBORw0KGgo");
            },
            partial: () =>
            {
                // Headers and half of a (large) body, then the connection is cut.
                http.Response.ContentType = "application/json";
                http.Response.ContentLength = 4096;
                return http.Response.WriteAsync("{\"artifacts\": [ {\"base64\": \"" + new string('A', 1500));
            }))
        {
            return;
        }

        var artifacts = new JsonArray();
        for (var i = 0; i < generation.Samples; i++)
        {
            var seed = generation.Seed == 0 ? SeedFrom(prompt, i) : (uint)(generation.Seed + i);
            var reason = prompt.Contains(StabilityAIEmulator.ErrorWord, StringComparison.OrdinalIgnoreCase) ? "ERROR"
                : prompt.Contains(StabilityAIEmulator.BlurredWord, StringComparison.OrdinalIgnoreCase) ? "CONTENT_FILTERED"
                : "SUCCESS";
            var png = PngImage.Solid(generation.Width, generation.Height, (byte)seed, (byte)(seed >> 8), (byte)(seed >> 16));
            if (asPng)
            {
                http.Response.StatusCode = 200;
                http.Response.ContentType = "image/png";
                http.Response.Headers["Finish-Reason"] = reason;
                http.Response.Headers["Seed"] = seed.ToString(CultureInfo.InvariantCulture);
                await http.Response.Body.WriteAsync(png);
                return;
            }

            artifacts.Add(new JsonObject { ["base64"] = Convert.ToBase64String(png), ["seed"] = seed, ["finishReason"] = reason });
        }

        await JsonAsync(http, 200, new JsonObject { ["artifacts"] = artifacts });
    }

    private static (string Name, string Message)? Prompts(JsonNode? node, out List<(string Text, double Weight)> prompts)
    {
        prompts = [];
        if (node is null)
        {
            return ("bad_request", "text_prompts: is required");
        }

        if (node is not JsonArray array || array.Count == 0)
        {
            return ("bad_request", "text_prompts: must contain at least 1 item");
        }

        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject prompt || prompt["text"]?.GetValueKind() != JsonValueKind.String)
            {
                return ("bad_request", $"text_prompts[{i}].text: is required");
            }

            var text = prompt["text"]!.GetValue<string>();
            if (text.Length > 2000)
            {
                return ("bad_request", $"text_prompts[{i}].text: length must be at most 2000");
            }

            var weight = 1.0;
            if (prompt["weight"] is { } w)
            {
                if (w.GetValueKind() != JsonValueKind.Number || double.IsNaN(w.GetValue<double>()))
                {
                    return ("bad_request", $"text_prompts[{i}].weight: must be a number");
                }

                weight = w.GetValue<double>();
            }

            prompts.Add((text, weight));
        }

        return prompts.Any(p => p.Weight > 0 && p.Text.Trim().Length > 0) ? null : ("bad_request", "text_prompts: at least one prompt must have a positive weight and text");
    }

    private static (string Name, string Message)? Dimensions(string engine, long? w, long? h, out int width, out int height)
    {
        var sdxl = engine.StartsWith("stable-diffusion-xl-1024-", StringComparison.Ordinal);
        width = (int)(w ?? (sdxl ? 1024 : 512));
        height = (int)(h ?? (sdxl ? 1024 : 512));
        if (width % 64 != 0 || height % 64 != 0 || width < 128 || height < 128)
        {
            return ("invalid_height_or_width", "height: height and width must be specified in increments of 64 (at least 128)");
        }

        if (sdxl)
        {
            return SdxlDimensions.Contains($"{width}x{height}")
                ? null
                : ("invalid_sdxl_v1_dimensions", $"height: for SDXL v1.0 engines the dimensions must be one of {string.Join(", ", SdxlDimensions)}; got {width}x{height}");
        }

        var pixels = (long)width * height;
        return pixels is < 262_144 or > 1_048_576
            ? ("invalid_pixel_count", $"width: incorrect number of pixels specified ({pixels}): 262,144 <= height * width <= 1,048,576")
            : null;
    }

    /// <summary>cfg_scale, samples, steps, seed, sampler, clip_guidance_preset, style_preset (each read as JSON text).</summary>
    private static (string Name, string Message)? Common(Func<string, string?> raw, out int samples, out long seed)
    {
        samples = 1;
        seed = 0;
        if (OutOfRange(raw("cfg_scale"), 0, 35, integer: false))
        {
            return ("bad_request", "cfg_scale: must be a number between 0 and 35");
        }

        if (OutOfRange(raw("samples"), 1, 10, integer: true))
        {
            return ("bad_request", "samples: must be an integer between 1 and 10");
        }

        if (OutOfRange(raw("steps"), 10, 50, integer: true))
        {
            return ("bad_request", "steps: must be an integer between 10 and 50");
        }

        if (OutOfRange(raw("seed"), 0, 4294967295, integer: true))
        {
            return ("bad_request", "seed: must be an integer between 0 and 4294967295");
        }

        foreach (var (name, allowed) in new[] { ("sampler", Samplers), ("clip_guidance_preset", ClipGuidancePresets), ("style_preset", StylePresets) })
        {
            if (raw(name) is { } value && !allowed.Contains(Unquote(value)))
            {
                return ("bad_request", $"{name}: value must be one of {string.Join(", ", allowed.Select(a => $"\"{a}\""))} but got value {value}");
            }
        }

        samples = raw("samples") is { } n ? (int)Parse(n) : 1;
        seed = raw("seed") is { } sd ? (long)Parse(sd) : 0;
        return null;
    }

    /// <summary>True when the value is present and not a number in [min, max] (an integer, if asked).</summary>
    private static bool OutOfRange(string? json, double min, double max, bool integer)
    {
        if (json is null)
        {
            return false;
        }

        if (!double.TryParse(Unquote(json), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return true;
        }

        return value < min || value > max || (integer && value != Math.Floor(value));
    }

    private static double Parse(string json) => double.Parse(Unquote(json), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static long? Int(JsonObject body, string name) =>
        body[name] is { } n && n.GetValueKind() == JsonValueKind.Number && double.TryParse(n.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? (long)v
            : null;

    private static int? PromptIndex(string key)
    {
        if (!key.StartsWith("text_prompts[", StringComparison.Ordinal))
        {
            return null;
        }

        var end = key.IndexOf(']', StringComparison.Ordinal);
        return end > 13 && int.TryParse(key.AsSpan(13, end - 13), NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : null;
    }

    private static string Quote(string value) => JsonSerializer.Serialize(value);

    private static string Unquote(string json) => json.Length >= 2 && json[0] == '"' && json[^1] == '"' ? json[1..^1] : json;

    private static uint SeedFrom(string prompt, int index)
    {
        var hash = 2166136261u;
        foreach (var c in prompt)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash + (uint)index;
    }

    private static Task ErrorAsync(HttpContext http, int status, string name, string message) =>
        JsonAsync(http, status, new JsonObject { ["id"] = Guid.NewGuid().ToString(), ["name"] = name, ["message"] = message });

    private static async Task JsonAsync(HttpContext http, int status, JsonNode body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body.ToJsonString(Compact));
    }
}

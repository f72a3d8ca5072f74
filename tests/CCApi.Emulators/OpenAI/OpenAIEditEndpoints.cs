using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CCApi.Emulators.OpenAI;

/// <summary>
/// POST /v1/images/edits as OpenAI documents it: multipart/form-data with <c>image</c> (or <c>image[]</c>, several for
/// gpt-image models), optional <c>mask</c>, <c>prompt</c>, <c>model</c> (default dall-e-2), <c>n</c>, <c>size</c>,
/// <c>response_format</c> (dall-e-2 only). dall-e-2 edits one square PNG under 4 MB, which needs transparency when no
/// mask is given; the mask is a PNG with the first image's dimensions. Every violation is a 400 with <c>param</c>.
/// The recorded request body is a JSON summary of the form (fields, image count, mask) for tests to inspect.
/// </summary>
internal sealed partial class OpenAIEndpoints
{
    private static readonly HashSet<string> DallE2EditSizes = ["256x256", "512x512", "1024x1024"];
    private static readonly HashSet<string> GptImageEditSizes = ["1024x1024", "1536x1024", "1024x1536", "auto"];

    public async Task EditsAsync(HttpContext http)
    {
        var authorization = http.Request.Headers.Authorization.ToString();
        var failure = emulator.TakeFailure();
        IFormCollection? form = null;
        if (http.Request.HasFormContentType && (http.Request.ContentType ?? "").StartsWith("multipart/form-data", StringComparison.Ordinal))
        {
            form = await http.Request.ReadFormAsync();
        }

        var images = form is null ? [] : form.Files.Where(f => f.Name is "image" or "image[]").ToList();
        var mask = form?.Files.GetFile("mask");
        var summary = new JsonObject
        {
            ["model"] = form?["model"].ToString(),
            ["prompt"] = form?["prompt"].ToString(),
            ["n"] = form?["n"].ToString(),
            ["size"] = form?["size"].ToString(),
            ["response_format"] = form?["response_format"].ToString(),
            ["quality"] = form?["quality"].ToString(),
            ["output_format"] = form?["output_format"].ToString(),
            ["output_compression"] = form?["output_compression"].ToString(),
            ["background"] = form?["background"].ToString(),
            ["moderation"] = form?["moderation"].ToString(),
            ["stream"] = form?["stream"].ToString(),
            ["partial_images"] = form?["partial_images"].ToString(),
            ["image_field"] = images.FirstOrDefault()?.Name,
            ["images"] = images.Count,
            ["mask"] = mask is not null,
        };
        emulator.Requests.Enqueue(new RecordedRequest(http.Request.Path.Value!, authorization, summary.ToJsonString(Compact), failure?.Mode));

        if (authorization != "Bearer " + emulator.ApiKey)
        {
            await ErrorAsync(http, 401, "Incorrect API key provided.", "invalid_request_error", null, "invalid_api_key");
            return;
        }

        if (form is null)
        {
            await InvalidAsync(http, null, "Invalid Content-Type header, expected multipart/form-data.");
            return;
        }

        var model = form["model"] is { Count: > 0 } m && !string.IsNullOrEmpty(m.ToString()) ? m.ToString() : "dall-e-2";
        var dallE2 = model == "dall-e-2";
        if (!dallE2 && !model.StartsWith("gpt-image", StringComparison.Ordinal))
        {
            await InvalidAsync(http, "model", $"Invalid value: '{model}'. Value must be 'dall-e-2' or a gpt-image model.", "invalid_value");
            return;
        }

        if (images.Count == 0)
        {
            await InvalidAsync(http, "image", "Missing required parameter: 'image'.", "missing_required_parameter");
            return;
        }

        if (string.IsNullOrWhiteSpace(form["prompt"].ToString()))
        {
            await InvalidAsync(http, "prompt", "Missing required parameter: 'prompt'.", "missing_required_parameter");
            return;
        }

        var n = int.TryParse(form["n"].ToString(), out var parsed) ? parsed : form["n"].Count == 0 ? 1 : -1;
        if (n is < 1 or > 10)
        {
            await InvalidAsync(http, "n", $"Invalid value for 'n': it must be between 1 and 10.");
            return;
        }

        var size = form["size"] is { Count: > 0 } s ? s.ToString() : dallE2 ? "1024x1024" : "auto";
        if (!(dallE2 ? DallE2EditSizes : GptImageEditSizes).Contains(size))
        {
            await InvalidAsync(http, "size", $"Invalid value: '{size}'. Supported values are: {string.Join(", ", dallE2 ? DallE2EditSizes : GptImageEditSizes)}.", "invalid_value");
            return;
        }

        var format = form["response_format"] is { Count: > 0 } f ? f.ToString() : null;
        if (format is not null && !dallE2)
        {
            await InvalidAsync(http, "response_format", "Unknown parameter: 'response_format'.", "unknown_parameter");
            return;
        }

        string? Field(string name) => form[name] is { Count: > 0 } v ? v.ToString() : null;
        if (OpenAIEndpoints.QualityProblem(model, Field("quality")) is { } qualityProblem)
        {
            await InvalidAsync(http, "quality", qualityProblem, "invalid_value");
            return;
        }

        var options = GptImageOptions.Read(model, Field("output_format"),
            int.TryParse(Field("output_compression"), out var compression) ? compression : null, Field("background"), Field("moderation"));
        if (options.Problem is { } problem)
        {
            await InvalidAsync(http, problem.Param, problem.Message, problem.Code);
            return;
        }

        var loaded = new List<byte[]>();
        foreach (var image in images)
        {
            using var buffer = new MemoryStream();
            await image.CopyToAsync(buffer);
            loaded.Add(buffer.ToArray());
        }

        if (dallE2)
        {
            if (loaded.Count > 1)
            {
                await InvalidAsync(http, "image", "dall-e-2 accepts exactly one image.");
                return;
            }

            if (PngInfo(loaded[0]) is not { } dims || loaded[0].Length >= 4 * 1024 * 1024 || dims.Width != dims.Height)
            {
                await InvalidAsync(http, "image", "Invalid input image - the image must be a square PNG file less than 4 MB.");
                return;
            }

            if (mask is null && dims.Alpha is false)
            {
                await InvalidAsync(http, "image", "Invalid input image - without a mask the image must have transparency (format must be in ['RGBA', 'LA']).");
                return;
            }
        }
        else if (loaded.Count > 16 || loaded.Any(b => PngInfo(b) is null && !IsJpegOrWebp(b)))
        {
            await InvalidAsync(http, "image", "Invalid input image - each image must be a PNG, JPEG or WebP file, at most 16 of them.");
            return;
        }

        if (mask is not null)
        {
            using var buffer = new MemoryStream();
            await mask.CopyToAsync(buffer);
            var maskDims = PngInfo(buffer.ToArray());
            if (maskDims is null)
            {
                await InvalidAsync(http, "mask", "Invalid mask image - the mask must be a PNG file.");
                return;
            }

            if (PngInfo(loaded[0]) is { } first && (first.Width, first.Height) != (maskDims.Value.Width, maskDims.Value.Height))
            {
                await InvalidAsync(http, "mask", "Invalid mask image - the mask and the image must be the same size.");
                return;
            }
        }

        var stream = Field("stream") == "true";
        if (StreamProblem(model, stream, Field("partial_images"), n) is { } streamProblem)
        {
            await InvalidAsync(http, streamProblem.Param, streamProblem.Message, streamProblem.Code);
            return;
        }

        if (stream)
        {
            await StreamImagesAsync(http, failure, "image_edit", options.Image, n, int.TryParse(Field("partial_images"), out var partials) ? partials : 0,
                size, Field("quality"), Field("background"), Field("output_format"));
            return;
        }

        if (await ApplyFailureAsync(http, failure, stream: false))
        {
            return;
        }

        var data = new JsonArray();
        for (var i = 0; i < n; i++)
        {
            if (format == "url")
            {
                var name = Guid.NewGuid().ToString("N") + ".png";
                Files[name] = options.Image;
                data.Add(new JsonObject { ["url"] = $"{emulator.Origin}/files/{name}" });
            }
            else
            {
                data.Add(new JsonObject { ["b64_json"] = Convert.ToBase64String(options.Image) });
            }
        }

        var answer = new JsonObject { ["created"] = 1700000000, ["data"] = data };
        if (!dallE2)
        {
            AddGptImageAccount(answer, size, Field("quality"), Field("background"), Field("output_format"));
        }

        await JsonAsync(http, 200, answer);
    }

    /// <summary>
    /// POST /v1/images/variations as OpenAI documents it: multipart/form-data with one <c>image</c> (a square PNG under
    /// 4 MB), <c>model</c> (dall-e-2, the default and the only one), <c>n</c>, <c>size</c> (256x256, 512x512, 1024x1024),
    /// <c>response_format</c>; no prompt. Violations are 400s with <c>param</c>; the recorded body summarises the form.
    /// </summary>
    public async Task VariationsAsync(HttpContext http)
    {
        var authorization = http.Request.Headers.Authorization.ToString();
        var failure = emulator.TakeFailure();
        IFormCollection? form = null;
        if (http.Request.HasFormContentType && (http.Request.ContentType ?? "").StartsWith("multipart/form-data", StringComparison.Ordinal))
        {
            form = await http.Request.ReadFormAsync();
        }

        var images = form is null ? [] : form.Files.Where(f => f.Name == "image").ToList();
        string? Field(string name) => form?[name] is { Count: > 0 } v ? v.ToString() : null;
        var summary = new JsonObject
        {
            ["model"] = Field("model"),
            ["n"] = Field("n"),
            ["size"] = Field("size"),
            ["response_format"] = Field("response_format"),
            ["images"] = images.Count,
            ["fields"] = new JsonArray([.. (form?.Keys ?? []).Order(StringComparer.Ordinal).Select(k => (JsonNode?)k)]),
        };
        emulator.Requests.Enqueue(new RecordedRequest(http.Request.Path.Value!, authorization, summary.ToJsonString(Compact), failure?.Mode));

        if (authorization != "Bearer " + emulator.ApiKey)
        {
            await ErrorAsync(http, 401, "Incorrect API key provided.", "invalid_request_error", null, "invalid_api_key");
            return;
        }

        if (form is null)
        {
            await InvalidAsync(http, null, "Invalid Content-Type header, expected multipart/form-data.");
            return;
        }

        if ((Field("model") ?? "dall-e-2") != "dall-e-2")
        {
            await InvalidAsync(http, "model", $"Invalid value: '{Field("model")}'. Value must be 'dall-e-2'.", "invalid_value");
            return;
        }

        foreach (var unknown in form.Keys.Where(k => k is not ("model" or "n" or "size" or "response_format" or "user")))
        {
            await InvalidAsync(http, unknown, $"Unrecognized request argument supplied: {unknown}", "unknown_parameter");
            return;
        }

        if (images.Count != 1 || form.Files.Count != 1)
        {
            await InvalidAsync(http, "image", "Exactly one 'image' file is required.", "missing_required_parameter");
            return;
        }

        var n = int.TryParse(Field("n"), out var parsed) ? parsed : Field("n") is null ? 1 : -1;
        if (n is < 1 or > 10)
        {
            await InvalidAsync(http, "n", "Invalid value for 'n': it must be between 1 and 10.");
            return;
        }

        var size = Field("size") ?? "1024x1024";
        if (!DallE2EditSizes.Contains(size))
        {
            await InvalidAsync(http, "size", $"Invalid value: '{size}'. Supported values are: {string.Join(", ", DallE2EditSizes)}.", "invalid_value");
            return;
        }

        var format = Field("response_format") ?? "url";
        if (format is not ("url" or "b64_json"))
        {
            await InvalidAsync(http, "response_format", $"Invalid value: '{format}'. Supported values are: 'url' and 'b64_json'.", "invalid_value");
            return;
        }

        using (var buffer = new MemoryStream())
        {
            await images[0].CopyToAsync(buffer);
            var bytes = buffer.ToArray();
            if (PngInfo(bytes) is not { } dims || bytes.Length >= 4 * 1024 * 1024 || dims.Width != dims.Height)
            {
                await InvalidAsync(http, "image", "Invalid input image - the image must be a square PNG file less than 4 MB.");
                return;
            }
        }

        if (await ApplyFailureAsync(http, failure, stream: false))
        {
            return;
        }

        var image = Png;
        var data = new JsonArray();
        for (var i = 0; i < n; i++)
        {
            if (format == "url")
            {
                var name = Guid.NewGuid().ToString("N") + ".png";
                Files[name] = image;
                data.Add(new JsonObject { ["url"] = $"{emulator.Origin}/files/{name}" });
            }
            else
            {
                data.Add(new JsonObject { ["b64_json"] = Convert.ToBase64String(image) });
            }
        }

        await JsonAsync(http, 200, new JsonObject { ["created"] = 1700000000, ["data"] = data });
    }

    /// <summary>Width, height and whether the colour type has alpha, from a PNG's IHDR; null when it is not a PNG.</summary>
    private static (int Width, int Height, bool Alpha)? PngInfo(byte[] bytes) =>
        bytes.Length >= 26 && bytes.AsSpan(0, 8).SequenceEqual((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            ? ((int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(16, 4)), (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(20, 4)), bytes[25] is 4 or 6)
            : null;

    private static bool IsJpegOrWebp(byte[] bytes) =>
        bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])
        || (bytes.Length >= 12 && bytes.AsSpan(0, 4).SequenceEqual("RIFF"u8) && bytes.AsSpan(8, 4).SequenceEqual("WEBP"u8));
}

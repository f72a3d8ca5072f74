using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CCApi.Emulators.OpenAI;

/// <summary>
/// OpenAI's image streaming, as gpt-image models answer <c>stream: true</c> on /images/generations and /images/edits:
/// server-sent events (for n = 1 only, as OpenAI: "Streaming is only supported with n=1"), <c>partial_images</c> (0–3) <c>{prefix}.partial_image</c> events (their
/// <c>partial_image_index</c> from 0) and one <c>{prefix}.completed</c> event carrying the image and the usage. dall-e
/// models do not stream. An emulated partial image is the final image's bytes with a marker appended ("partial k"), so it
/// sniffs as the same format and a test can tell it from the final one.
/// </summary>
internal sealed partial class OpenAIEndpoints
{
    /// <summary>OpenAI's checks of <c>stream</c> and <c>partial_images</c>; null when they pass.</summary>
    internal static (string Param, string Message, string? Code)? StreamProblem(string model, bool stream, string? partialImages, int n)
    {
        if (stream && n > 1)
        {
            return ("stream", "Streaming is only supported with n=1.", null);
        }

        if (partialImages is not null && (!int.TryParse(partialImages, NumberStyles.None, CultureInfo.InvariantCulture, out var partials) || partials > 3))
        {
            return ("partial_images", $"Invalid 'partial_images': integer below minimum value or above maximum value. Expected a value between 0 and 3, but got {partialImages} instead.", "integer_out_of_range");
        }

        return stream && !model.StartsWith("gpt-image", StringComparison.Ordinal)
            ? ("stream", $"Streaming is not supported for {model}; it is supported for gpt-image models.", "unsupported_value")
            : null;
    }

    /// <summary>
    /// What a gpt-image answer says of its images, JSON and stream alike: the size, the quality tier it used (the emulator's
    /// <c>auto</c> picks <c>medium</c>), the background and the format, and the request's token usage.
    /// </summary>
    internal static void AddGptImageAccount(JsonObject answer, string size, string? quality, string? background, string? outputFormat)
    {
        answer["size"] = size == "auto" ? "1024x1024" : size;
        answer["quality"] = quality is null or "auto" ? "medium" : quality;
        answer["background"] = background is null or "auto" ? "opaque" : background;
        answer["output_format"] = outputFormat ?? "png";
        answer["usage"] = new JsonObject
        {
            ["input_tokens"] = 50,
            ["input_tokens_details"] = new JsonObject { ["image_tokens"] = 40, ["text_tokens"] = 10 },
            ["output_tokens"] = 272,
            ["total_tokens"] = 322,
        };
    }

    /// <summary>The emulated partial image <paramref name="index"/> of <paramref name="image"/>.</summary>
    public static byte[] PartialOf(byte[] image, int index) => [.. image, .. System.Text.Encoding.ASCII.GetBytes($"partial {index}")];

    /// <summary>
    /// Answers a validated streaming image request: a failure as the other routes answer it (a cut stream after one partial
    /// event; a malformed one is an event that is not JSON), else the events.
    /// </summary>
    private static async Task StreamImagesAsync(
        HttpContext http, EmulatorFailure? failure, string prefix, byte[] image, int n, int partials, string size, string? quality, string? background, string? outputFormat)
    {
        JsonObject Event(string type, byte[] bytes) => new()
        {
            ["type"] = type,
            ["b64_json"] = Convert.ToBase64String(bytes),
            ["created_at"] = 1700000000,
            ["size"] = size,
            ["quality"] = quality ?? "auto",
            ["background"] = background ?? "auto",
            ["output_format"] = outputFormat ?? "png",
        };

        if (await EmulatorEndpoints.AnswerFailureAsync(http, failure,
                rateLimited: () => ErrorAsync(http, 429, "Rate limit reached for images. Please try again in 1s.", "requests", null, "rate_limit_exceeded"),
                serverError: () => ErrorAsync(http, 500, "The server had an error while processing your request. Sorry about that!", "server_error", null, null),
                malformed: async () =>
                {
                    http.Response.ContentType = "text/event-stream; charset=utf-8";
                    await WriteImageEventAsync(http, prefix + ".completed", "{\"type\":\"" + prefix + ".completed\",\"b64_json\":");
                },
                partial: () =>
                {
                    http.Response.ContentType = "text/event-stream; charset=utf-8";
                    var first = Event(prefix + ".partial_image", PartialOf(image, 0));
                    first["partial_image_index"] = 0;
                    return WriteImageEventAsync(http, prefix + ".partial_image", first.ToJsonString());
                }))
        {
            return;
        }

        http.Response.ContentType = "text/event-stream; charset=utf-8";
        for (var i = 0; i < n; i++)
        {
            for (var k = 0; k < partials; k++)
            {
                var partial = Event(prefix + ".partial_image", PartialOf(image, k));
                partial["partial_image_index"] = k;
                await WriteImageEventAsync(http, prefix + ".partial_image", partial.ToJsonString());
            }

            var completed = Event(prefix + ".completed", image);
            AddGptImageAccount(completed, size, quality, background, outputFormat);
            await WriteImageEventAsync(http, prefix + ".completed", completed.ToJsonString());
        }
    }

    private static async Task WriteImageEventAsync(HttpContext http, string type, string data)
    {
        await http.Response.WriteAsync($"event: {type}\ndata: {data}\n\n");
        await http.Response.Body.FlushAsync();
    }
}

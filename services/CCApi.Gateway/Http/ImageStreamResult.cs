using System.Globalization;
using System.Text.Json;

namespace CCApi.Gateway.Http;

/// <summary>
/// A streamed image generation or edit (<c>stream: true</c>), answered as OpenAI's image routes answer one: server-sent
/// events <c>image_generation.completed</c> (<c>image_edit.completed</c> for an edit), one per image, each carrying the
/// image in base64 with its size, quality, background and output format — what the SDKs' image streams yield. No partial
/// image is sent (a provider's partials are not relayed): OpenAI's API reference allows it, "the final image may be sent
/// before the full number of partial images are generated". Written once the images are in, so an error before that is
/// the usual JSON error with its status, and an <c>Idempotency-Key</c> replays the stream whole.
/// </summary>
public sealed class ImageStreamResult(string events, ImageGenerationsResponse response, GenerateImage command) : IResult
{
    /// <summary>The event name prefix of a generation.</summary>
    public const string Generation = "image_generation";

    /// <summary>The event name prefix of an edit.</summary>
    public const string Edit = "image_edit";

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        EventStreamResponse.Begin(httpContext);
        var type = events + ".completed";
        var head = System.Text.Encoding.UTF8.GetBytes($"event: {type}\ndata: ");
        foreach (var image in response.Data)
        {
            var payload = new ImageStreamEvent(
                type, image.B64Json, response.Created,
                string.Create(CultureInfo.InvariantCulture, $"{command.Width}x{command.Height}"),
                command.Quality ?? "auto", command.Background ?? "auto", command.OutputFormat ?? "png", image.RevisedPrompt);
            await httpContext.Response.Body.WriteAsync(head, httpContext.RequestAborted);
            await httpContext.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(payload, GatewayJsonContext.Web.ImageStreamEvent), httpContext.RequestAborted);
            await httpContext.Response.Body.WriteAsync("\n\n"u8.ToArray(), httpContext.RequestAborted);
            await httpContext.Response.Body.FlushAsync(httpContext.RequestAborted);
        }
    }
}

/// <summary>One event of a streamed image response (OpenAI's ImageGenCompletedEvent / ImageEditCompletedEvent).</summary>
public sealed record ImageStreamEvent(
    string Type,
    [property: System.Text.Json.Serialization.JsonPropertyName("b64_json")] string? B64Json,
    long CreatedAt,
    string Size,
    string Quality,
    string Background,
    string OutputFormat,
    string? RevisedPrompt);

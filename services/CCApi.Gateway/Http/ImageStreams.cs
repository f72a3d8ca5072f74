using System.Globalization;
using System.Net.ServerSentEvents;
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
public static class ImageStreams
{
    /// <summary>The event name prefix of a generation.</summary>
    public const string Generation = "image_generation";

    /// <summary>The event name prefix of an edit.</summary>
    public const string Edit = "image_edit";

    /// <summary>The response's images as <paramref name="events"/><c>.completed</c> events (ASP.NET Core's server-sent events result).</summary>
    public static ServerSentEventsResult<string> Completed(string events, ImageGenerationsResponse response, GenerateImage command)
    {
        var type = events + ".completed";
        var size = string.Create(CultureInfo.InvariantCulture, $"{command.Width}x{command.Height}");
        return TypedResults.ServerSentEvents(response.Data.Select(image => new SseItem<string>(JsonSerializer.Serialize(
            new ImageStreamEvent(type, image.B64Json, response.Created, size, command.Quality ?? "auto", command.Background ?? "auto",
                command.OutputFormat ?? "png", image.RevisedPrompt),
            GatewayJsonContext.Web.ImageStreamEvent), type)).ToAsyncEnumerable());
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

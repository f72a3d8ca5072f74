using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using CCApi.Gateway.Idempotency;
using CCApi.Gateway.Limits;
using StackExchange.Redis;

namespace CCApi.Gateway.Http;

/// <summary>
/// A streamed image generation or edit (<c>stream: true</c>), answered as OpenAI's image routes answer one: server-sent
/// events <c>image_generation.completed</c> (<c>image_edit.completed</c> for an edit), one per image, each carrying the
/// image in base64 with its size, quality, background and output format — what the SDKs' image streams yield — after the
/// <c>image_generation.partial_image</c> (<c>image_edit.partial_image</c>) events the provider drew, when the request asked
/// for <c>partial_images</c> and its model lists them (<see cref="ImagePartialStream"/>). Fewer partials than asked may
/// come, or none: OpenAI's API reference allows it ("the final image may be sent before the full number of partial images
/// are generated"). Until the first event the response has not started, so an error is the usual JSON error with its
/// status; after it, an <c>error</c> event ends the stream.
/// </summary>
public static class ImageStreams
{
    /// <summary>The event name prefix of a generation.</summary>
    public const string Generation = "image_generation";

    /// <summary>The event name prefix of an edit.</summary>
    public const string Edit = "image_edit";

    /// <summary>The response's images as <paramref name="events"/><c>.completed</c> events (ASP.NET Core's server-sent events result).</summary>
    public static ServerSentEventsResult<string> Completed(string events, ImageGenerationsResponse response, GenerateImage command) =>
        TypedResults.ServerSentEvents(CompletedItems(events, response, command).ToAsyncEnumerable());

    /// <summary>The response's images as <paramref name="events"/><c>.completed</c> events, each with the response's settings and usage.</summary>
    public static IEnumerable<SseItem<string>> CompletedItems(string events, ImageGenerationsResponse response, GenerateImage command)
    {
        var type = events + ".completed";
        return response.Data.Select(image => new SseItem<string>(JsonSerializer.Serialize(
            new ImageStreamEvent(type, image.B64Json, response.Created, response.Size ?? SizeOf(command), response.Quality ?? "auto",
                response.Background ?? "auto", response.OutputFormat ?? "png", image.RevisedPrompt, response.Usage),
            GatewayJsonContext.Web.ImageStreamEvent), type));
    }

    /// <summary>One partial image as a <paramref name="events"/><c>.partial_image</c> event.</summary>
    public static SseItem<string> PartialItem(string events, GenerateImage command, int index, byte[] image)
    {
        var type = events + ".partial_image";
        return new SseItem<string>(JsonSerializer.Serialize(
            new ImagePartialEvent(type, Convert.ToBase64String(image), command.Timestamp.ToUnixTimeSeconds(), SizeOf(command), command.Quality ?? "auto",
                command.Background ?? "auto", command.OutputFormat ?? "png", index),
            GatewayJsonContext.Web.ImagePartialEvent), type);
    }

    /// <summary>The <c>error</c> event that ends a stream whose job failed after its first event: the CCAPI error object, as a 4xx/5xx body carries it.</summary>
    public static SseItem<string> ErrorItem(ApiException error) =>
        new(JsonSerializer.Serialize(error.ToResponse(), GatewayJsonContext.Web.ErrorResponse), "error");

    private static string SizeOf(GenerateImage command) => string.Create(CultureInfo.InvariantCulture, $"{command.Width}x{command.Height}");
}

/// <summary>
/// A streamed synchronous image request that asked for partial images (<see cref="GenerateImage.PartialImages"/>): it
/// subscribes to the job's partials (<see cref="ImagePartials"/>) before the command goes out, then waits for whichever
/// comes first. The result first: answered as any streamed image request (a partial not in before it is not shown). A
/// partial first: the response starts — each partial is relayed as it arrives, then the completed images, or an
/// <c>error</c> event — and the stream settles the job's usage itself (the pipeline had no usage to settle). A client that
/// leaves cancels the job, as for any synchronous image request.
/// </summary>
public sealed partial class ImagePartialStream : RelayedCall<ImagePartial, ImageGenerated>
{
    private readonly GenerateImage _command;

    private ImagePartialStream(NoticeSubscription<ImagePartial> partials, Task<ImageGenerated> completion, GenerateImage command, ILogger logger)
        : base(partials, completion, command.JobId, logger) => _command = command;

    /// <summary>Subscribes, sends the command (a synchronous call) and waits for its first partial or its result.</summary>
    public static Task<ImagePartialStream> StartAsync(HttpContext http, GenerateImage command, ProviderDispatcher dispatcher, CancellationToken cancellationToken)
    {
        var services = http.RequestServices;
        return StartAsync(
            () => services.GetRequiredService<ImagePartials>().SubscribeAsync(command.JobId),
            () => dispatcher.RequestAsync<GenerateImage, ImageGenerated>(command, command.Route, JobKind.Image, cancellationToken),
            (partials, completion) => new ImagePartialStream(partials, completion, command, services.GetRequiredService<ILogger<ImagePartialStream>>()),
            "image stream",
            cancellationToken);
    }

    /// <summary>
    /// The answer once a partial is in: its events as they come, then <paramref name="completed"/>'s events for the result
    /// (its usage settled first), or an <c>error</c> event. Owns this stream from here on.
    /// </summary>
    public ServerSentEventsResult<string> Respond(
        HttpContext http, string events, Func<ImageGenerated, CancellationToken, Task<IEnumerable<SseItem<string>>>> completed)
    {
        http.IdempotentRequest()?.MarkStreamed(); // written as it comes: an Idempotency-Key must not hold it back
        http.Response.RegisterForDisposeAsync(this); // unsubscribed when the request ends, even if the events were never read
        return TypedResults.ServerSentEvents(EventsAsync(http, events, completed, http.RequestAborted));
    }

    private async IAsyncEnumerable<SseItem<string>> EventsAsync(
        HttpContext http, string events, Func<ImageGenerated, CancellationToken, Task<IEnumerable<SseItem<string>>>> completed,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var owned = this;
        var blobs = http.RequestServices.GetRequiredService<IBlobStore>();
        while (true)
        {
            while (Notices.Reader.TryRead(out var partial))
            {
                // A partial whose bytes are gone (expired, Redis unreachable) is skipped: partials are a preview, the result is what counts.
                if (await ReadAsync(blobs, partial, cancellationToken) is { } image)
                {
                    yield return ImageStreams.PartialItem(events, _command, partial.Index, image);
                }
            }

            if (Completion.IsCompleted)
            {
                break;
            }

            await Task.WhenAny(Completion, Notices.Reader.WaitToReadAsync(cancellationToken).AsTask());
            cancellationToken.ThrowIfCancellationRequested();
        }

        IEnumerable<SseItem<string>> last;
        try
        {
            var result = await Completion;
            var lease = http.RateLimitLease();
            http.CreditHold()?.Settle(_command.Route, JobKind.Image, result.Usage, lease); // not awaited, as the pipeline does
            last = await completed(result, cancellationToken);
        }
        catch (ApiException ex)
        {
            LogFailedMidStream(Logger, _command.JobId, ex.Status, ex.Code);
            last = [ImageStreams.ErrorItem(ex)];
        }

        foreach (var item in last)
        {
            yield return item;
        }
    }

    private async Task<byte[]?> ReadAsync(IBlobStore blobs, ImagePartial partial, CancellationToken cancellationToken)
    {
        try
        {
            return (await blobs.GetAsync(partial.Blob.Id, cancellationToken))?.Bytes;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogPartialUnreadable(Logger, _command.JobId, ex);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: failed ({Status} {Code}) after its partial images were sent; the stream ends with an error event")]
    private static partial void LogFailedMidStream(ILogger logger, Guid jobId, int status, string? code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: a partial image could not be read; it is skipped")]
    private static partial void LogPartialUnreadable(ILogger logger, Guid jobId, Exception exception);
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
    string? RevisedPrompt,
    ImageTokenUsage? Usage = null);

/// <summary>One partial image of a streamed image response (OpenAI's ImageGenPartialImageEvent / ImageEditPartialImageEvent).</summary>
public sealed record ImagePartialEvent(
    string Type,
    [property: System.Text.Json.Serialization.JsonPropertyName("b64_json")] string B64Json,
    long CreatedAt,
    string Size,
    string Quality,
    string Background,
    string OutputFormat,
    int PartialImageIndex);

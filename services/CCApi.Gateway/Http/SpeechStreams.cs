using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using CCApi.Gateway.Credits;
using CCApi.Gateway.Idempotency;
using CCApi.Gateway.Limits;

namespace CCApi.Gateway.Http;

/// <summary>
/// A speech request whose client takes the audio itself — the audio bytes (OpenAI's default) or OpenAI's
/// <c>stream_format: "sse"</c> events — played as the provider makes it. It subscribes to the job's audio
/// (<see cref="SpeechChunks"/>) before the command goes out (<see cref="Speech.StreamAudio"/>), then waits for the first
/// piece or the result. The result first (a provider that makes its audio whole): the audio bytes are answered as before,
/// with their length. A piece first: the response starts, each piece is written as it arrives, and the rest of the audio
/// — anything a lost notice left out, or that came after the result — is taken from the result's blob, from the first byte
/// not yet sent; the stream settles the job's usage itself. Until the response has started, an error is the usual JSON
/// error with its status; after it, an SSE stream ends with an <c>error</c> event and an audio body is cut (the
/// connection aborted), so a client never takes a truncated file for a whole one.
/// </summary>
public sealed partial class SpeechAudioStream : RelayedCall<SpeechChunk, SpeechSynthesized>
{
    /// <summary>The largest piece of audio one event (or write) carries when the audio comes from the blob.</summary>
    public const int BlobPieceBytes = 16 * 1024;

    private readonly Speech _command;

    private SpeechAudioStream(NoticeSubscription<SpeechChunk> chunks, Task<SpeechSynthesized> completion, Speech command, ILogger logger)
        : base(chunks, completion, command.JobId, logger) => _command = command;

    /// <summary>Subscribes, sends the command (a synchronous call, <see cref="Speech.StreamAudio"/> set) and waits for its first piece or its result.</summary>
    public static Task<SpeechAudioStream> StartAsync(HttpContext http, Speech command, ProviderDispatcher dispatcher, CancellationToken cancellationToken)
    {
        var services = http.RequestServices;
        var streamed = command with { StreamAudio = true };
        return StartAsync(
            () => services.GetRequiredService<SpeechChunks>().SubscribeAsync(command.JobId),
            () => dispatcher.RequestAsync<Speech, SpeechSynthesized>(streamed, command.Route, JobKind.Speech, cancellationToken),
            (chunks, completion) => new SpeechAudioStream(chunks, completion, streamed, services.GetRequiredService<ILogger<SpeechAudioStream>>()),
            "audio stream",
            cancellationToken);
    }

    /// <summary>
    /// OpenAI's <c>stream_format: "sse"</c>: a <c>speech.audio.delta</c> event per piece (base64 audio), then
    /// <c>speech.audio.done</c> with the usage, or an <c>error</c> event. Owns this stream from here on.
    /// </summary>
    public ServerSentEventsResult<string> RespondEvents(HttpContext http, string input)
    {
        Own(http);
        return TypedResults.ServerSentEvents(EventsAsync(http, input, http.RequestAborted));
    }

    /// <summary>The audio bytes as they come, with the format's content type and no length. Owns this stream from here on.</summary>
    public SpeechAudioResult RespondAudio(HttpContext http, string contentType)
    {
        Own(http);
        return new SpeechAudioResult(this, contentType);
    }

    private void Own(HttpContext http)
    {
        http.IdempotentRequest()?.MarkStreamed(); // written as it comes: an Idempotency-Key must not hold it back
        http.Response.RegisterForDisposeAsync(this); // unsubscribed when the request ends, even if nothing was written
    }

    private async IAsyncEnumerable<SseItem<string>> EventsAsync(HttpContext http, string input, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var owned = this;
        await using var pieces = PiecesAsync(http, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            string piece;
            ApiException? failure = null;
            try
            {
                if (!await pieces.MoveNextAsync())
                {
                    break;
                }

                piece = pieces.Current;
            }
            catch (ApiException ex)
            {
                LogFailedMidStream(Logger, JobId, ex.Status, ex.Code);
                failure = ex;
                piece = "";
            }

            if (failure is not null)
            {
                yield return ImageStreams.ErrorItem(failure);
                yield break;
            }

            yield return new SseItem<string>(JsonSerializer.Serialize(new SpeechAudioDeltaEvent(SpeechAudioDeltaEvent.EventType, piece),
                GatewayJsonContext.Web.SpeechAudioDeltaEvent), SpeechAudioDeltaEvent.EventType);
        }

        var result = await Completion; // completed: the pieces ended after it
        yield return new SseItem<string>(JsonSerializer.Serialize(
            new SpeechAudioDoneEvent(SpeechAudioDoneEvent.EventType, StreamUsage(result, input)),
            GatewayJsonContext.Web.SpeechAudioDoneEvent), SpeechAudioDoneEvent.EventType);
    }

    /// <summary>The usage of <c>speech.audio.done</c>: the provider's token counts, else the input's o200k tokens; characters and cost beside them.</summary>
    public static SpeechStreamUsage StreamUsage(SpeechSynthesized result, string input)
    {
        var usage = result.Usage;
        var inputTokens = usage.PromptTokens > 0 ? usage.PromptTokens : CostEstimator.CountTokens(input);
        return new SpeechStreamUsage(inputTokens, usage.CompletionTokens, inputTokens + usage.CompletionTokens,
            usage.Characters > 0 ? usage.Characters : input.Length, CostEstimator.CostUsd(result.Route, usage));
    }

    internal async Task WriteAudioAsync(HttpContext http, string contentType)
    {
        await using var owned = this;
        var response = http.Response;
        response.ContentType = contentType;
        response.Headers.CacheControl = "no-cache";
        // Each piece goes out as it is written — also through an Idempotency-Key's recording, which then tees it.
        http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        var started = false;
        try
        {
            await foreach (var piece in PiecesAsync(http, http.RequestAborted))
            {
                var bytes = Convert.FromBase64String(piece);
                await response.Body.WriteAsync(bytes, http.RequestAborted);
                await response.Body.FlushAsync(http.RequestAborted);
                started = true;
            }
        }
        catch (ApiException ex) when (started || response.HasStarted)
        {
            // The audio is partly sent: cut the connection rather than end a truncated file as if it were whole.
            LogFailedMidStream(Logger, _command.JobId, ex.Status, ex.Code);
            http.Abort();
        }
    }

    /// <summary>
    /// The audio in order, as base64 pieces: each relayed piece that continues what was sent, until the result; then the
    /// rest from the result's blob (not read when the pieces brought all of its length). A piece that does not continue
    /// what was sent (one before it was lost) ends the relaying. Settles the usage when the result is in; throws the job's
    /// <see cref="ApiException"/> when it failed.
    /// </summary>
    private async IAsyncEnumerable<string> PiecesAsync(HttpContext http, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long sent = 0;
        var relaying = true;
        while (relaying)
        {
            while (relaying && Notices.Reader.TryRead(out var chunk))
            {
                if (chunk.Offset == sent && DecodedLength(chunk.Base64) is > 0 and var length)
                {
                    yield return chunk.Base64;
                    sent += length;
                }
                else if (chunk.Offset > sent)
                {
                    relaying = false; // a piece was lost: the rest comes from the blob
                    LogGap(Logger, _command.JobId, sent, chunk.Offset);
                }
            }

            if (!relaying || Completion.IsCompleted)
            {
                break;
            }

            await Task.WhenAny(Completion, Notices.Reader.WaitToReadAsync(cancellationToken).AsTask());
            cancellationToken.ThrowIfCancellationRequested();
        }

        var result = await Completion.WaitAsync(cancellationToken); // after a gap, nothing but the result is waited for
        http.CreditHold()?.Settle(_command.Route, JobKind.Speech, result.Usage, http.RateLimitLease()); // not awaited, as the pipeline does
        var whole = result.Audio.Length; // 0: a reference that does not say
        if (whole > 0 && sent == whole)
        {
            yield break; // every byte was relayed: the blob need not be read
        }

        var audio = whole > 0 && sent > whole ? [] : await http.RequestServices.GetRequiredService<ModelFiles>().ReadAsync(result.Audio.Id, cancellationToken);
        if (audio.Length < sent)
        {
            throw new ApiException(502, ErrorTypes.Api, ErrorCodes.ProviderError, "The provider's audio does not match what it streamed.");
        }

        for (var start = (int)sent; start < audio.Length; start += BlobPieceBytes)
        {
            yield return Convert.ToBase64String(audio, start, Math.Min(BlobPieceBytes, audio.Length - start));
        }
    }

    /// <summary>The bytes a base64 piece decodes to; 0 for one that is not base64 (never published by an adapter).</summary>
    public static int DecodedLength(string base64)
    {
        if (base64.Length == 0 || base64.Length % 4 != 0)
        {
            return 0;
        }

        var padding = base64[^1] == '=' ? (base64[^2] == '=' ? 2 : 1) : 0;
        return base64.Length / 4 * 3 - padding;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: failed ({Status} {Code}) after its audio had started; the events end with an error, the audio bytes are cut")]
    private static partial void LogFailedMidStream(ILogger logger, Guid jobId, int status, string? code);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: audio piece at {Offset} after {Sent} bytes sent (one was lost); the rest comes from the result")]
    private static partial void LogGap(ILogger logger, Guid jobId, long sent, long offset);
}

/// <summary>The audio bytes of a <see cref="SpeechAudioStream"/>, written as they come.</summary>
public sealed class SpeechAudioResult : IResult
{
    private readonly SpeechAudioStream _stream;

    internal SpeechAudioResult(SpeechAudioStream stream, string contentType)
    {
        _stream = stream;
        ContentType = contentType;
    }

    public string ContentType { get; }

    public Task ExecuteAsync(HttpContext httpContext) => _stream.WriteAudioAsync(httpContext, ContentType);
}

/// <summary>OpenAI's SpeechAudioDeltaEvent: a piece of the audio in base64.</summary>
public sealed record SpeechAudioDeltaEvent(string Type, string Audio)
{
    public const string EventType = "speech.audio.delta";
}

/// <summary>OpenAI's SpeechAudioDoneEvent: the audio is complete.</summary>
public sealed record SpeechAudioDoneEvent(string Type, SpeechStreamUsage Usage)
{
    public const string EventType = "speech.audio.done";
}

/// <summary>
/// OpenAI's usage of a streamed speech (<c>input_tokens</c>, <c>output_tokens</c>, <c>total_tokens</c>), with what our
/// JSON speech answer reports beside it: the characters billed and their cost.
/// </summary>
public sealed record SpeechStreamUsage(
    int InputTokens,
    int OutputTokens,
    int TotalTokens,
    int Characters,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] decimal? CostUsd);

using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using CCApi.Contracts;
using CCApi.Gateway.Api;
using CCApi.Gateway.Dispatch;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using Microsoft.AspNetCore.Http.Features;
using StackExchange.Redis;

namespace CCApi.Gateway.Http;

/// <summary>
/// <c>GET /v1/chat/completions/{id}/stream</c>: a streaming chat a client lost, continued from the job's Redis stream after
/// the last event id the client saw — live while the adapter is still appending, from Redis once it has ended — rendered
/// exactly as the original response (<see cref="ChatStreamResult"/>) rendered it: the same chunk ids, <c>id:</c> lines,
/// usage chunk and ending (<c>data: [DONE]</c> or the error event). Nothing is sent to a provider and nothing is charged:
/// the original request's job produces the entries, once.
/// </summary>
public sealed class ChatStreamResume : IResult
{
    /// <summary>The response header of every streaming chat that names its job (the <c>{id}</c> of the resume route).</summary>
    public const string JobIdHeader = "x-ccapi-job-id";

    /// <summary>The standard SSE reconnection header; <c>?after=</c> is the same for clients that cannot set headers.</summary>
    public const string LastEventIdHeader = "Last-Event-ID";

    private readonly ChatStreamRecord _record;
    private readonly string? _after;
    private readonly (string Id, ChatStreamDelta Delta)? _replayTerminal;
    private readonly ChatStreams _streams;
    private readonly TimeSpan _idleTimeout;
    private readonly ProviderDispatcher _dispatcher;
    private readonly string _chunkId;

    private ChatStreamResume(ChatStreamRecord record, string? after, (string Id, ChatStreamDelta Delta)? replayTerminal, ChatStreams streams, ProviderDispatcher dispatcher)
    {
        _record = record;
        _after = after;
        _replayTerminal = replayTerminal;
        _streams = streams;
        _dispatcher = dispatcher;
        _idleTimeout = dispatcher.RequestTimeout;
        _chunkId = "chatcmpl-" + record.JobId.ToString("N");
    }

    /// <summary>What the gateway records when it starts a streaming chat.</summary>
    public static ChatStreamRecord RecordOf(ChatCompletion command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return new ChatStreamRecord(command.JobId, command.Route.OwnerId, command.Route.Model, command.Route.Provider,
            command.Timestamp.ToUnixTimeSeconds(), command.IncludeUsage,
            Priced: command.Route.Pricing is { } pricing && !Auth.ApiCaller.IsUnpriced(pricing));
    }

    /// <summary><c>chatcmpl-</c> + 32 hex digits, or the bare job id (as in <see cref="JobIdHeader"/>); anything else is no stream.</summary>
    public static bool TryParseId(string id, out Guid jobId)
    {
        jobId = default;
        var bare = id.StartsWith("chatcmpl-", StringComparison.Ordinal) ? id.AsSpan(9) : id.AsSpan();
        return bare.Length == 32 ? Guid.TryParseExact(bare, "N", out jobId) : Guid.TryParseExact(bare, "D", out jobId);
    }

    /// <summary>
    /// Checks everything that can be answered with a plain error before the stream starts: the id (404), the position
    /// (400 naming <c>Last-Event-ID</c> or <c>after</c>), the owner (another key's stream is no stream: 404).
    /// </summary>
    public static async Task<ChatStreamResume> OpenAsync(string id, string callerKeyId, HttpRequest request, ChatStreams streams, ProviderDispatcher dispatcher)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(streams);
        if (!TryParseId(id, out var jobId))
        {
            throw NotFound(id);
        }

        var after = Position(request);
        var record = await streams.GetRecordAsync(jobId);
        if (record is null || !string.Equals(record.OwnerId, callerKeyId, StringComparison.Ordinal))
        {
            throw NotFound(id); // another key's stream is indistinguishable from no stream
        }

        // A client that already has the last entry (it lost only the close) gets that ending again, not an idle wait.
        (string Id, ChatStreamDelta Delta)? replay = null;
        if (after is not null && await streams.LastAsync(jobId) is { } last && IsTerminal(last.Delta)
            && Compare(after, last.Id) >= 0)
        {
            replay = last;
        }

        return new ChatStreamResume(record, after, replay, streams, dispatcher);
    }

    private static string? Position(HttpRequest request)
    {
        var header = request.Headers[LastEventIdHeader];
        if (header.Count > 0)
        {
            return Parse(header.ToString(), LastEventIdHeader);
        }

        return request.Query.TryGetValue("after", out var after) ? Parse(after.ToString(), "after") : null;

        static string Parse(string value, string name) => ChatStreams.TryParseEntryId(value, out _)
            ? value
            : throw ApiException.BadField(name,
                $"'{name}' must be the id of an event of this stream (e.g. '1733300000000-0'); got '{Validation.Truncate(value)}'.");
    }

    private static int Compare(string a, string b) =>
        ChatStreams.TryParseEntryId(a, out var x) && ChatStreams.TryParseEntryId(b, out var y) ? x.CompareTo(y) : -1;

    private static bool IsTerminal(ChatStreamDelta delta) => delta.Done || delta.Error is not null;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        response.Headers[JobIdHeader] = _record.JobId.ToString("N");
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var writer = response.BodyWriter;
        await using var json = new Utf8JsonWriter(writer);
        var aborted = httpContext.RequestAborted;
        try
        {
            // The headers go out at once (start + flush): the client knows it is reattached before the next entry exists.
            await response.StartAsync(aborted);
            await writer.FlushAsync(aborted);
            if (_replayTerminal is { } terminal)
            {
                await WriteAsync(writer, json, terminal.Id, terminal.Delta, aborted);
                return;
            }

            await using var entries = _streams.ReadAsync(_record.JobId, _after, _idleTimeout, aborted).GetAsyncEnumerator(aborted);
            while (true)
            {
                bool more;
                try
                {
                    more = await entries.MoveNextAsync();
                }
                catch (RedisException)
                {
                    await WriteErrorAsync(writer, json, null, Unavailable(), aborted);
                    return;
                }
                catch (TimeoutException)
                {
                    await WriteErrorAsync(writer, json, null, _dispatcher.TimeoutError(_record.Provider), aborted);
                    return;
                }

                if (!more)
                {
                    return;
                }

                var (id, delta) = entries.Current;
                if (!await WriteAsync(writer, json, id, delta, aborted))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // the client went away again; it may resume again
        }
    }

    /// <summary>The events of one entry, as <see cref="ChatStreamResult"/> writes them; false once the stream is over.</summary>
    private async ValueTask<bool> WriteAsync(PipeWriter writer, Utf8JsonWriter json, string id, ChatStreamDelta delta, CancellationToken cancellationToken)
    {
        if (delta.Error is { } error)
        {
            await WriteErrorAsync(writer, json, id, error, cancellationToken);
            return false;
        }

        if (delta.Role is not null || delta.Content is not null || delta.ToolCalls is not null || delta.FinishReason is not null)
        {
            var content = delta.Content ?? (delta.Role is not null && delta.ToolCalls is null ? "" : null);
            var choice = new ChunkChoice(0, new ChunkDelta(delta.Role, content, ToolCallChunks(delta.ToolCalls)), delta.FinishReason);
            await WriteChunkAsync(writer, json, id, Chunk([choice], null), cancellationToken);
        }

        if (delta.Usage is { } usage && _record.IncludeUsage)
        {
            await WriteChunkAsync(writer, json, id, Chunk([], new UsageResponse(usage.PromptTokens, usage.CompletionTokens, usage.TotalTokens,
                _record.Priced ? usage.Cost : null)), cancellationToken);
        }

        if (delta.Done)
        {
            WriteAscii(writer, "id: " + id + "\n");
            WriteAscii(writer, "data: [DONE]\n\n");
            await writer.FlushAsync(cancellationToken);
            return false;
        }

        return true;
    }

    private ChatCompletionChunk Chunk(IReadOnlyList<ChunkChoice> choices, UsageResponse? usage) =>
        new(_chunkId, _record.Created, _record.Model, _record.Provider, choices, usage);

    private static List<ToolCallChunk>? ToolCallChunks(IReadOnlyList<ToolCallDelta>? calls) =>
        calls?.Select(c => new ToolCallChunk(
            c.Index,
            c.Id,
            c.Id is null ? null : "function",
            new FunctionCallChunk(c.Name, c.ArgumentsFragment ?? (c.Id is null ? null : "")))).ToList();

    private static async ValueTask WriteChunkAsync(PipeWriter writer, Utf8JsonWriter json, string id, ChatCompletionChunk chunk, CancellationToken cancellationToken)
    {
        WriteAscii(writer, "id: " + id + "\ndata: ");
        json.Reset(writer);
        JsonSerializer.Serialize(json, chunk, GatewayJsonContext.Web.ChatCompletionChunk);
        json.Flush();
        WriteAscii(writer, "\n\n");
        await writer.FlushAsync(cancellationToken);
    }

    private static async ValueTask WriteErrorAsync(PipeWriter writer, Utf8JsonWriter json, string? id, ErrorInfo error, CancellationToken cancellationToken)
    {
        if (id is not null)
        {
            WriteAscii(writer, "id: " + id + "\n");
        }

        WriteAscii(writer, "data: ");
        json.Reset(writer);
        JsonSerializer.Serialize(json, ProviderDispatcher.ToApiException(error).ToResponse(), GatewayJsonContext.Web.ErrorResponse);
        json.Flush();
        WriteAscii(writer, "\n\n");
        await writer.FlushAsync(cancellationToken);
    }

    private static void WriteAscii(PipeWriter writer, string text)
    {
        var span = writer.GetSpan(text.Length);
        writer.Advance(Encoding.ASCII.GetBytes(text, span));
    }

    private static ErrorInfo Unavailable() => new()
    {
        Status = 503,
        Type = ErrorTypes.Api,
        Code = GatewayErrorCodes.ServiceUnavailable,
        Message = "The chat stream is unavailable right now; retry shortly.",
    };

    private static ApiException NotFound(string id) => ApiException.NotFound($"No chat stream '{Validation.Truncate(id)}'.");
}

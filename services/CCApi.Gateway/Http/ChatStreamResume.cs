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
    /// <summary>The standard SSE reconnection header; <c>?after=</c> is the same for clients that cannot set headers.</summary>
    public const string LastEventIdHeader = "Last-Event-ID";

    private readonly ChatStreamRecord _record;
    private readonly string? _after;
    private readonly (string Id, ChatStreamDelta Delta)? _replayTerminal;
    private readonly ChatStreams _streams;
    private readonly TimeSpan _idleTimeout;
    private readonly ProviderDispatcher _dispatcher;

    private ChatStreamResume(ChatStreamRecord record, string? after, (string Id, ChatStreamDelta Delta)? replayTerminal, ChatStreams streams, ProviderDispatcher dispatcher)
    {
        _record = record;
        _after = after;
        _replayTerminal = replayTerminal;
        _streams = streams;
        _dispatcher = dispatcher;
        _idleTimeout = dispatcher.RequestTimeout;
    }

    /// <summary>What the gateway records when it starts a streaming chat.</summary>
    public static ChatStreamRecord RecordOf(ChatCompletion command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return new ChatStreamRecord(command.JobId, command.Route.OwnerId, command.Route.Model, command.Route.Provider,
            command.Timestamp.ToUnixTimeSeconds(), command.IncludeUsage,
            Priced: command.Route.Pricing is { } pricing && !Auth.ApiCaller.IsUnpriced(pricing));
    }

    /// <summary><c>chatcmpl-</c> + 32 hex digits, or the bare job id (as in <see cref="JobIds.Header"/>, or with dashes); anything else is no stream.</summary>
    public static bool TryParseId(string id, out Guid jobId) =>
        PublicIds.TryParse(id, PublicIds.ChatPrefix, out jobId, bare: true) || Guid.TryParseExact(id, "D", out jobId);

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
        // The header (what an EventSource sends when it reconnects) wins over the query; a bad value in either is a 400.
        var header = request.Headers[LastEventIdHeader];
        var fromHeader = header.Count > 0 ? Parse(header.ToString(), LastEventIdHeader) : null;
        var fromQuery = request.Query.TryGetValue("after", out var after) ? Parse(after.ToString(), "after") : null;
        return fromHeader ?? fromQuery;

        static string Parse(string value, string name) => ChatStreams.IsResumePoint(value)
            ? value
            : throw ApiException.BadField(name,
                $"'{name}' must be the id of an event of this stream (e.g. '1733300000000-0'); got '{Validation.Truncate(value)}'.");
    }

    private static int Compare(string a, string b) =>
        ChatStreams.TryParseEntryId(a, out var x) && ChatStreams.TryParseEntryId(b, out var y) ? x.CompareTo(y) : -1;

    private static bool IsTerminal(ChatStreamDelta delta) => delta.Done || delta.Error is not null;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ChatStreamWriter.StartResponse(httpContext, _record.JobId);
        var response = httpContext.Response;
        await using var writer = new ChatStreamWriter(response.BodyWriter, _record);
        var aborted = httpContext.RequestAborted;
        try
        {
            // The headers go out at once (start + flush): the client knows it is reattached before the next entry exists.
            await response.StartAsync(aborted);
            await response.BodyWriter.FlushAsync(aborted);
            if (_replayTerminal is { } terminal)
            {
                await writer.WriteAsync(terminal.Id, terminal.Delta, aborted);
                return;
            }

            await using var entries = _streams.ReadAsync(_record.JobId, _after, _idleTimeout, aborted).GetAsyncEnumerator(aborted);
            await writer.PumpAsync([], entries, onEntry: null, onTimeout: () => Task.FromResult(_dispatcher.TimeoutError(_record.Provider)),
                ended: null, onFirstWritten: null, aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // the client went away again; it may resume again
        }
    }

    private static ApiException NotFound(string id) => ApiException.NotFound($"No chat stream '{Validation.Truncate(id)}'.");
}

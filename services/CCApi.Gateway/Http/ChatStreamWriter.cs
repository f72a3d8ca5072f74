using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;

namespace CCApi.Gateway.Http;

/// <summary>
/// How a chat stream's Redis entries become OpenAI server-sent events, written once for the original response
/// (<see cref="ChatStreamResult"/>) and a resumed one (<see cref="ChatStreamResume"/>), so both render every entry the same
/// way: <c>id: &lt;entry id&gt;</c> then <c>data: {chat.completion.chunk}</c>, flushed one by one; the usage chunk (when the
/// request asked for it, with <c>cost_usd</c> when the model has a price); <c>data: [DONE]</c> at the end, or
/// <c>data: {"error":…}</c> and no [DONE] when the stream fails.
/// </summary>
public sealed class ChatStreamWriter(PipeWriter writer, ChatStreamRecord stream) : IAsyncDisposable
{
    private readonly Utf8JsonWriter _json = new(writer);
    private readonly string _chunkId = PublicIds.Chat(stream.JobId);

    /// <summary>The response head of every chat stream: SSE, unbuffered, and the job id a client resumes it by.</summary>
    public static void StartResponse(HttpContext http, Guid jobId)
    {
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        EventStreamResponse.Begin(http);
        response.Headers["X-Accel-Buffering"] = "no";
        JobIds.Name(response, jobId); // GET /v1/chat/completions/{id}/stream resumes it
    }

    /// <summary>
    /// Writes entries until the stream is over: <paramref name="first"/> (already read), then what
    /// <paramref name="entries"/> yields, each shown to <paramref name="onEntry"/> (with its id) before it is written;
    /// <paramref name="onFirstWritten"/> once <paramref name="first"/> is out. A Redis failure ends the stream with a 503
    /// error event; an idle timeout with <paramref name="onTimeout"/>'s error; the end of the entries without [DONE] with
    /// <paramref name="ended"/> (null: just stop).
    /// </summary>
    public async Task PumpAsync(
        IEnumerable<(string Id, ChatStreamDelta Delta)> first,
        IAsyncEnumerator<(string Id, ChatStreamDelta Delta)> entries,
        Action<string, ChatStreamDelta>? onEntry,
        Func<Task<ErrorInfo>> onTimeout,
        ErrorInfo? ended,
        Action? onFirstWritten,
        CancellationToken cancellationToken)
    {
        var held = first as IReadOnlyCollection<(string Id, ChatStreamDelta Delta)> ?? first.ToList();
        var left = held.Count;
        foreach (var (id, delta) in held)
        {
            onEntry?.Invoke(id, delta);
            if (!await WriteAsync(id, delta, cancellationToken, flush: --left == 0)) // what was read before the response goes out in one write
            {
                return;
            }
        }

        onFirstWritten?.Invoke();
        while (true)
        {
            bool more;
            try
            {
                more = await entries.MoveNextAsync();
            }
            catch (RedisTimeoutException)
            {
                await WriteErrorAsync(null, Unavailable(), cancellationToken);
                return;
            }
            catch (TimeoutException)
            {
                await WriteErrorAsync(null, await onTimeout(), cancellationToken);
                return;
            }
            catch (RedisException)
            {
                await WriteErrorAsync(null, Unavailable(), cancellationToken);
                return;
            }

            if (!more)
            {
                if (ended is not null)
                {
                    await WriteErrorAsync(null, ended, cancellationToken);
                }

                return;
            }

            var (id, delta) = entries.Current;
            onEntry?.Invoke(id, delta);
            if (!await WriteAsync(id, delta, cancellationToken))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Writes the events of one entry; false once the stream is over (done or error). <paramref name="flush"/> false leaves
    /// them for the next flush (an entry that is not the stream's last is written on with the next one).
    /// </summary>
    public async ValueTask<bool> WriteAsync(string id, ChatStreamDelta delta, CancellationToken cancellationToken, bool flush = true)
    {
        if (delta.Error is { } error)
        {
            await WriteErrorAsync(id, error, cancellationToken);
            return false;
        }

        if (delta.Role is not null || delta.Content is not null || delta.ToolCalls is not null || delta.FinishReason is not null)
        {
            var content = delta.Content ?? (delta.Role is not null && delta.ToolCalls is null ? "" : null);
            var choice = new ChunkChoice(delta.Choice, new ChunkDelta(delta.Role, content, ToolCallChunks(delta.ToolCalls)), delta.FinishReason);
            WriteChunk(id, Chunk([choice], null));
        }

        if (delta.Usage is { } usage && stream.IncludeUsage)
        {
            WriteChunk(id, Chunk([], UsageResponse.Of(usage, stream.Priced ? usage.Cost : null)));
        }

        if (delta.Done)
        {
            WriteId(id);
            WriteAscii("data: [DONE]\n\n");
            await writer.FlushAsync(cancellationToken);
            return false;
        }

        if (flush)
        {
            await writer.FlushAsync(cancellationToken);
        }

        return true;
    }

    /// <summary>The error event that ends a failed stream (<c>id:</c> line only when the error is an entry of the stream).</summary>
    public async ValueTask WriteErrorAsync(string? id, ErrorInfo error, CancellationToken cancellationToken)
    {
        if (id is not null)
        {
            WriteId(id);
        }

        WriteAscii("data: ");
        _json.Reset(writer);
        JsonSerializer.Serialize(_json, ProviderDispatcher.ToApiException(error).ToResponse(), GatewayJsonContext.Web.ErrorResponse);
        _json.Flush();
        WriteAscii("\n\n");
        await writer.FlushAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => _json.DisposeAsync();

    /// <summary>The error of a stream Redis cannot serve right now.</summary>
    public static ErrorInfo Unavailable() => new()
    {
        Status = 503,
        Type = ErrorTypes.Api,
        Code = GatewayErrorCodes.ServiceUnavailable,
        Message = "The chat stream is unavailable right now; retry shortly.",
    };

    private ChatCompletionChunk Chunk(IReadOnlyList<ChunkChoice> choices, UsageResponse? usage) =>
        new(_chunkId, stream.Created, stream.Model, stream.Provider, choices, usage);

    private static List<ToolCallChunk>? ToolCallChunks(IReadOnlyList<ToolCallDelta>? calls) =>
        calls?.Select(c => new ToolCallChunk(
            c.Index,
            c.Id,
            c.Id is null ? null : "function",
            new FunctionCallChunk(c.Name, c.ArgumentsFragment ?? (c.Id is null ? null : "")))).ToList();

    private void WriteChunk(string id, ChatCompletionChunk chunk)
    {
        WriteId(id);
        WriteAscii("data: ");
        _json.Reset(writer);
        JsonSerializer.Serialize(_json, chunk, GatewayJsonContext.Web.ChatCompletionChunk);
        _json.Flush();
        WriteAscii("\n\n");
    }

    private void WriteId(string id)
    {
        WriteAscii("id: ");
        WriteAscii(id);
        WriteAscii("\n");
    }

    private void WriteAscii(string text)
    {
        var span = writer.GetSpan(text.Length);
        writer.Advance(Encoding.ASCII.GetBytes(text, span));
    }
}

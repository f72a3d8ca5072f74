using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using CCApi.Contracts;
using CCApi.Gateway.Api;
using CCApi.Gateway.Credits;
using CCApi.Gateway.Dispatch;
using CCApi.Gateway.Limits;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using Microsoft.AspNetCore.Http.Features;
using StackExchange.Redis;

namespace CCApi.Gateway.Http;

/// <summary>
/// A streaming chat completion as OpenAI-style server-sent events. <see cref="StartAsync"/> reads the job's Redis stream
/// (subscribed before the command is sent) until the first content arrives: until then nothing has reached the client,
/// so a provider error is an ordinary HTTP error and the caller may fail over. Executing the result then forwards every
/// entry as a <c>chat.completion.chunk</c> event with <c>id: &lt;stream id&gt;</c>, flushed one by one, and ends with
/// <c>data: [DONE]</c> — or, when the provider fails midway, with <c>data: {"error":…}</c> and no [DONE]. A client that
/// disconnects after the first content does not cancel the job: it can resume it (<see cref="ChatStreamResume"/>).
/// </summary>
public sealed partial class ChatStreamResult : IResult
{
    private readonly IAsyncEnumerator<(string Id, ChatStreamDelta Delta)> _entries;
    private readonly CancellationTokenSource _reading;
    private readonly List<(string Id, ChatStreamDelta Delta)> _pending;
    private readonly ChatCompletion _command;
    private readonly ProviderDispatcher _dispatcher;
    private readonly ILogger _logger;
    private readonly string _id;
    private readonly long _created;
    private RateLimitLease? _lease;
    private CreditHold? _hold;

    private ChatStreamResult(
        IAsyncEnumerator<(string Id, ChatStreamDelta Delta)> entries,
        CancellationTokenSource reading,
        List<(string Id, ChatStreamDelta Delta)> pending,
        ChatCompletion command,
        ProviderDispatcher dispatcher,
        ILogger logger)
    {
        _entries = entries;
        _reading = reading;
        _pending = pending;
        _command = command;
        _dispatcher = dispatcher;
        _logger = logger;
        _id = "chatcmpl-" + command.JobId.ToString("N");
        _created = command.Timestamp.ToUnixTimeSeconds();
    }

    /// <summary>Sends the command and waits for its first content; throws <see cref="ApiException"/> if none comes.</summary>
    public static async Task<ChatStreamResult> StartAsync(
        ChatCompletion command, ChatStreams streams, ProviderDispatcher dispatcher, ILogger logger, CancellationToken cancellationToken)
    {
        var reading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var entries = streams.ReadAsync(command.JobId, null, dispatcher.RequestTimeout, reading.Token).GetAsyncEnumerator(reading.Token);
        var move = entries.MoveNextAsync().AsTask(); // subscribes to the job's notifications before the command goes out
        var pending = new List<(string Id, ChatStreamDelta Delta)>();
        try
        {
            await streams.BeginAsync(ChatStreamResume.RecordOf(command)); // owner and rendering, for a later resume
            await dispatcher.SendAsync(command, command.Route, JobKind.Chat, cancellationToken);
            while (true)
            {
                if (!await NextAsync(move, command, dispatcher))
                {
                    throw StreamEnded();
                }

                var entry = entries.Current;
                if (entry.Delta.Error is { } error)
                {
                    throw ProviderDispatcher.ToApiException(error);
                }

                pending.Add(entry);
                if (IsContent(entry.Delta))
                {
                    return new ChatStreamResult(entries, reading, pending, command, dispatcher, logger);
                }

                move = entries.MoveNextAsync().AsTask();
            }
        }
        catch (Exception ex)
        {
            await reading.CancelAsync();
            await ((Task)move).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await entries.DisposeAsync();
            reading.Dispose();
            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                await dispatcher.PublishCanceledAsync(command.JobId, "The client disconnected.");
            }

            throw;
        }
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        response.Headers[ChatStreamResume.JobIdHeader] = _command.JobId.ToString("N"); // GET /v1/chat/completions/{id}/stream resumes it
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var writer = response.BodyWriter;
        var json = new Utf8JsonWriter(writer);
        var aborted = httpContext.RequestAborted;
        _lease = httpContext.RateLimitLease();
        _hold = httpContext.CreditHold();
        try
        {
            foreach (var (id, delta) in _pending)
            {
                if (!await WriteAsync(writer, json, id, delta, aborted))
                {
                    return;
                }
            }

            httpContext.ModelRequestMetrics()?.FirstToken(); // the first content has been flushed to the client

            while (true)
            {
                bool more;
                try
                {
                    more = await _entries.MoveNextAsync();
                }
                catch (RedisTimeoutException)
                {
                    await WriteErrorAsync(writer, json, null, Unavailable(), aborted);
                    return;
                }
                catch (TimeoutException)
                {
                    var timeout = _dispatcher.TimeoutError(_command.Route.Provider);
                    await _dispatcher.PublishFailedAsync(_command.JobId, _command.Route, JobKind.Chat, timeout);
                    await WriteErrorAsync(writer, json, null, timeout, aborted);
                    return;
                }
                catch (RedisException)
                {
                    await WriteErrorAsync(writer, json, null, Unavailable(), aborted);
                    return;
                }

                if (!more)
                {
                    await WriteErrorAsync(writer, json, null, StreamEnded().ToErrorInfo(), aborted);
                    return;
                }

                var (id, delta) = _entries.Current;
                if (!await WriteAsync(writer, json, id, delta, aborted))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // Not canceled: the job runs to its end (bounded by its deadline) and stays resumable (ChatStreamResume).
            LogDisconnected(_logger, _command.JobId);
        }
        finally
        {
            await json.DisposeAsync();
            await _reading.CancelAsync();
            await _entries.DisposeAsync();
            _reading.Dispose();
        }
    }

    /// <summary>Writes the events for one stream entry; false once the stream is over (done or error).</summary>
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

        if (delta.Usage is { } usage)
        {
            _lease?.ReportTokens(usage.TotalTokens); // the TPM charge becomes the actual count when the stream ends
            _hold?.Settle(_command.Route, JobKind.Chat, usage, _lease);

            if (_command.IncludeUsage)
            {
                await WriteChunkAsync(writer, json, id, Chunk([], new UsageResponse(usage.PromptTokens, usage.CompletionTokens, usage.TotalTokens,
                    CostEstimator.CostUsd(_command.Route, usage))), cancellationToken);
            }
        }

        if (delta.Done)
        {
            _hold?.HandOff(); // no usage in the stream: the sweeper settles it from the job's record when its reservation expires
            WriteId(writer, id);
            WriteAscii(writer, "data: [DONE]\n\n");
            await writer.FlushAsync(cancellationToken);
            return false;
        }

        return true;
    }

    private ChatCompletionChunk Chunk(IReadOnlyList<ChunkChoice> choices, UsageResponse? usage) =>
        new(_id, _created, _command.Route.Model, _command.Route.Provider, choices, usage);

    private static List<ToolCallChunk>? ToolCallChunks(IReadOnlyList<ToolCallDelta>? calls) =>
        calls?.Select(c => new ToolCallChunk(
            c.Index,
            c.Id,
            c.Id is null ? null : "function",
            new FunctionCallChunk(c.Name, c.ArgumentsFragment ?? (c.Id is null ? null : "")))).ToList();

    private static async ValueTask WriteChunkAsync(PipeWriter writer, Utf8JsonWriter json, string id, ChatCompletionChunk chunk, CancellationToken cancellationToken)
    {
        WriteId(writer, id);
        WriteAscii(writer, "data: ");
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
            WriteId(writer, id);
        }

        WriteAscii(writer, "data: ");
        json.Reset(writer);
        JsonSerializer.Serialize(json, ProviderDispatcher.ToApiException(error).ToResponse(), GatewayJsonContext.Web.ErrorResponse);
        json.Flush();
        WriteAscii(writer, "\n\n");
        await writer.FlushAsync(cancellationToken);
    }

    private static void WriteId(PipeWriter writer, string id)
    {
        WriteAscii(writer, "id: ");
        WriteAscii(writer, id);
        WriteAscii(writer, "\n");
    }

    private static void WriteAscii(PipeWriter writer, string text)
    {
        var span = writer.GetSpan(text.Length);
        var written = Encoding.ASCII.GetBytes(text, span);
        writer.Advance(written);
    }

    private static async Task<bool> NextAsync(Task<bool> move, ChatCompletion command, ProviderDispatcher dispatcher)
    {
        try
        {
            return await move;
        }
        catch (RedisTimeoutException)
        {
            throw ApiException.FromErrorInfo(Unavailable());
        }
        catch (TimeoutException)
        {
            var timeout = dispatcher.TimeoutError(command.Route.Provider);
            await dispatcher.PublishFailedAsync(command.JobId, command.Route, JobKind.Chat, timeout);
            throw ApiException.FromErrorInfo(timeout);
        }
        catch (RedisException)
        {
            throw ApiException.FromErrorInfo(Unavailable());
        }
    }

    private static bool IsContent(ChatStreamDelta delta) =>
        delta.Content is not null || delta.ToolCalls is not null || delta.FinishReason is not null || delta.Usage is not null || delta.Done;

    private static ErrorInfo Unavailable() => new()
    {
        Status = 503,
        Type = ErrorTypes.Api,
        Code = GatewayErrorCodes.ServiceUnavailable,
        Message = "The chat stream is unavailable right now; retry shortly.",
    };

    private static ApiException StreamEnded() =>
        new(502, ErrorTypes.Api, ErrorCodes.ProviderError, "The provider's stream ended unexpectedly.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: client disconnected during the stream; the job continues and can be resumed")]
    private static partial void LogDisconnected(ILogger logger, Guid jobId);
}

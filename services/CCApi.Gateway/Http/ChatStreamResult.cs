using StackExchange.Redis;

namespace CCApi.Gateway.Http;

/// <summary>
/// A streaming chat completion as OpenAI-style server-sent events. <see cref="StartAsync"/> reads the job's Redis stream
/// (its notifications taken from before the command is sent) until the first content arrives: until then nothing has reached the client,
/// so a provider error is an ordinary HTTP error and the caller may fail over. Executing the result then forwards every
/// entry as a <c>chat.completion.chunk</c> event with <c>id: &lt;stream id&gt;</c>, flushed one by one, and ends with
/// <c>data: [DONE]</c> — or, when the provider fails midway, with <c>data: {"error":…}</c> and no [DONE]. A client that
/// disconnects after the first content does not cancel the job: it can resume it (<see cref="ChatStreamResume"/>).
/// </summary>
public sealed partial class ChatStreamResult : IResult
{
    private readonly IAsyncEnumerator<(string Id, ChatStreamDelta Delta)> _entries;
    private readonly SynchronousCalls.StreamNotices? _notices;
    private readonly CancellationTokenSource _reading;
    private readonly List<(string Id, ChatStreamDelta Delta)> _pending;
    private readonly ChatCompletion _command;
    private readonly ProviderDispatcher _dispatcher;
    private readonly ILogger _logger;

    private ChatStreamResult(
        IAsyncEnumerator<(string Id, ChatStreamDelta Delta)> entries,
        SynchronousCalls.StreamNotices? notices,
        CancellationTokenSource reading,
        List<(string Id, ChatStreamDelta Delta)> pending,
        ChatCompletion command,
        ProviderDispatcher dispatcher,
        ILogger logger)
    {
        _entries = entries;
        _notices = notices;
        _reading = reading;
        _pending = pending;
        _command = command;
        _dispatcher = dispatcher;
        _logger = logger;
    }

    /// <summary>Sends the command and waits for its first content; throws <see cref="ApiException"/> if none comes.</summary>
    public static async Task<ChatStreamResult> StartAsync(
        ChatCompletion command, ChatStreams streams, ProviderDispatcher dispatcher, ILogger logger, CancellationToken cancellationToken)
    {
        var reading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // The job's notifications come on this process's channel, routed to this reader from before the command goes out:
        // no subscription and no read on the way to the first token. Only while that channel is not listening does the
        // reader subscribe to the job's own channel (before the command goes out) and read the stream first.
        var notices = dispatcher.ExpectStream(command.JobId);
        var entries = (notices is null
            ? streams.ReadAsync(command.JobId, null, dispatcher.RequestTimeout, reading.Token)
            : streams.ReadNewAsync(command.JobId, notices.Notices, dispatcher.RequestTimeout, reading.Token)).GetAsyncEnumerator(reading.Token);
        var move = entries.MoveNextAsync().AsTask();
        var pending = new List<(string Id, ChatStreamDelta Delta)>();
        Task? sent = null;
        try
        {
            // The record (owner and rendering, for a later resume) is written beside the send, not before it: nobody can
            // resume before the job id reaches the client with the first content, and both round trips overlap.
            var begun = streams.BeginAsync(ChatStreamResume.RecordOf(command));

            // The command is persistent, and the broker confirms it once its disk has it — often after the adapter has
            // already answered with the first entries. So the first token does not wait for the confirm: whichever comes
            // first, and a send that fails before any entry still fails the request (503) as it did. The send is not the
            // client's to cancel: a command on its way runs, so its confirm is awaited (it marks the request dispatched for
            // Idempotency-Key) whether or not the client stays; a client that leaves before the first content cancels the
            // job below.
            sent = SendAsync(command, dispatcher, notices);
            if (await Task.WhenAny(sent, move) == sent || sent.IsCompleted)
            {
                try
                {
                    await sent;
                }
                catch
                {
                    await begun.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    throw;
                }
            }
            else
            {
                _ = ObserveLateSendAsync(sent, command.JobId, logger);
            }

            await RecordAsync(begun, command, dispatcher);
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
                    return new ChatStreamResult(entries, notices, reading, pending, command, dispatcher, logger);
                }

                move = entries.MoveNextAsync().AsTask();
            }
        }
        catch (Exception ex)
        {
            if (sent is { IsCompleted: false })
            {
                _ = sent.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }

            await reading.CancelAsync();
            await ((Task)move).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await entries.DisposeAsync();
            notices?.Dispose();
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
        ChatStreamWriter.StartResponse(httpContext, _command.JobId);
        var lease = httpContext.RateLimitLease();
        var hold = httpContext.CreditHold();
        var route = _command.Route;
        var aborted = httpContext.RequestAborted;
        string? lastId = null;
        var ended = false;
        await using var writer = new ChatStreamWriter(httpContext.Response.BodyWriter, ChatStreamResume.RecordOf(_command));
        try
        {
            await writer.PumpAsync(_pending, _entries,
                onEntry: (id, delta) =>
                {
                    lastId = id;
                    ended |= delta.Done || delta.Error is not null;
                    if (delta.Usage is { } usage)
                    {
                        lease?.ReportTokens(usage.TotalTokens); // the TPM charge becomes the actual count when the stream ends
                        hold?.Settle(route, JobKind.Chat, usage, lease);
                    }

                    if (delta.Done)
                    {
                        hold?.HandOff(); // no usage in the stream: the sweeper settles it from the job's record when its reservation expires
                    }
                },
                onTimeout: async () =>
                {
                    var timeout = _dispatcher.TimeoutError(route.Provider);
                    await _dispatcher.PublishFailedAsync(_command.JobId, route, JobKind.Chat, timeout);
                    return timeout;
                },
                ended: StreamEnded().ToErrorInfo(),
                onFirstWritten: () => httpContext.ModelRequestMetrics()?.FirstToken(), // the first content has been flushed to the client
                aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // Not canceled: the job runs to its end (bounded by its deadline) and stays resumable (ChatStreamResume). What it
            // produces is billed, and it keeps its key's concurrency slot while it runs (else a client dropping each stream
            // after its first token could run more jobs than limits.concurrency): the account and the lease leave the
            // request (whose end would release them) for a reader of the rest.
            LogDisconnected(_logger, _command.JobId);
            var owner = hold?.TakeOver();
            var slot = ended ? null : lease?.TakeOver();
            if (owner is not null || slot is not null)
            {
                var streams = httpContext.RequestServices.GetRequiredService<ChatStreams>();
                var stopping = httpContext.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
                _ = SettleWhenEndedAsync(streams, owner, slot, lastId, stopping);
            }
        }
        finally
        {
            await _reading.CancelAsync();
            await _entries.DisposeAsync();
            _notices?.Dispose();
            _reading.Dispose();
        }
    }

    /// <summary>
    /// Reads the rest of a stream whose client left and settles the job as a connected client's would be: charged with
    /// the usage at its end (the concurrency slot freed and the TPM charge corrected in the same call), released when it
    /// ends in a provider error. A stream that ends without usage, or that cannot be read to its end (Redis unreachable,
    /// nothing for the request timeout, the gateway stopping), is handed off: the reservation stays and the sweeper
    /// settles it from the job's record when it expires; the slot is freed then too (else it expires with its lease).
    /// </summary>
    private async Task SettleWhenEndedAsync(ChatStreams streams, CreditHold? owner, RateLimitLease? lease, string? afterId, CancellationToken stopping)
    {
        try
        {
            await foreach (var (_, delta) in streams.ReadAsync(_command.JobId, afterId, _dispatcher.RequestTimeout, stopping))
            {
                if (delta.Usage is { } usage)
                {
                    lease?.ReportTokens(usage.TotalTokens);
                    owner?.Settle(_command.Route, JobKind.Chat, usage, lease);
                    LogSettledAfterDisconnect(_logger, _command.JobId, usage.TotalTokens);
                    return;
                }

                if (delta.Error is not null)
                {
                    if (owner is not null)
                    {
                        await owner.DisposeAsync();
                    }

                    return;
                }
            }

            owner?.HandOff();
        }
        catch (Exception ex) // a task nobody awaits: whatever ends it, the reservation is left to the sweeper
        {
            owner?.HandOff();
            LogNotFollowedToEnd(_logger, _command.JobId, ex);
        }
        finally
        {
            if (lease is not null)
            {
                await lease.DisposeAsync(); // nothing left to do when the settlement took its release
            }
        }
    }

    /// <summary>Sends the command, bounded by the request timeout (a broker that never confirms is a 503, as a lost one is).</summary>
    private static async Task SendAsync(ChatCompletion command, ProviderDispatcher dispatcher, SynchronousCalls.StreamNotices? notices)
    {
        using var sending = new CancellationTokenSource(dispatcher.RequestTimeout);
        try
        {
            await dispatcher.SendAsync(command, command.Route, JobKind.Chat, sending.Token, notices);
        }
        catch (OperationCanceledException) when (sending.IsCancellationRequested)
        {
            throw ProviderDispatcher.BusUnavailable();
        }
    }

    /// <summary>A send still unconfirmed when the stream already has entries: the adapter has the command; a failure now is only logged.</summary>
    private static async Task ObserveLateSendAsync(Task sent, Guid jobId, ILogger logger)
    {
        try
        {
            await sent;
        }
        catch (Exception ex)
        {
            LogSendFailedAfterEntries(logger, jobId, ex);
        }
    }

    /// <summary>
    /// Waits for the stream's record; if Redis could not write it, the command is already out: the job is canceled (the
    /// client gets the 503 and the provider is not kept streaming to nobody).
    /// </summary>
    private static async Task RecordAsync(Task begun, ChatCompletion command, ProviderDispatcher dispatcher)
    {
        try
        {
            await begun;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            await dispatcher.PublishCanceledAsync(command.JobId, "The chat stream could not be recorded.");
            throw ApiException.FromErrorInfo(ChatStreamWriter.Unavailable());
        }
    }

    private static async Task<bool> NextAsync(Task<bool> move, ChatCompletion command, ProviderDispatcher dispatcher)
    {
        try
        {
            return await move;
        }
        catch (RedisTimeoutException)
        {
            throw ApiException.FromErrorInfo(ChatStreamWriter.Unavailable());
        }
        catch (TimeoutException)
        {
            var timeout = dispatcher.TimeoutError(command.Route.Provider);
            await dispatcher.PublishFailedAsync(command.JobId, command.Route, JobKind.Chat, timeout);
            throw ApiException.FromErrorInfo(timeout);
        }
        catch (RedisException)
        {
            throw ApiException.FromErrorInfo(ChatStreamWriter.Unavailable());
        }
    }

    private static bool IsContent(ChatStreamDelta delta) =>
        delta.Content is not null || delta.ToolCalls is not null || delta.FinishReason is not null || delta.Usage is not null || delta.Done;

    private static ApiException StreamEnded() =>
        new(502, ErrorTypes.Api, ErrorCodes.ProviderError, "The provider's stream ended unexpectedly.");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the broker did not confirm the streaming command its adapter had already answered")]
    private static partial void LogSendFailedAfterEntries(ILogger logger, Guid jobId, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: client disconnected during the stream; the job continues and can be resumed")]
    private static partial void LogDisconnected(ILogger logger, Guid jobId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId}: stream ended after its client left; settled with {TotalTokens} tokens")]
    private static partial void LogSettledAfterDisconnect(ILogger logger, Guid jobId, int totalTokens);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the stream its client left could not be followed to its end; the reservation sweeper settles it")]
    private static partial void LogNotFollowedToEnd(ILogger logger, Guid jobId, Exception exception);
}

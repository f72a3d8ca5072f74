using StackExchange.Redis;

namespace CCApi.Gateway.Http;

/// <summary>
/// A synchronous call whose adapter relays what it makes before the result, on the job's Redis channel
/// (<see cref="ImagePartialStream"/>: partial images; <see cref="SpeechAudioStream"/>: pieces of audio): subscribed before
/// the command goes out, so nothing can be published unseen, then waiting for the first notice or the result, whichever
/// comes first. Disposing unsubscribes, and observes a result nobody will await (the client left).
/// </summary>
public abstract partial class RelayedCall<TNotice, TResult> : IAsyncDisposable
    where TNotice : notnull
{
    private int _disposed;

    protected RelayedCall(NoticeSubscription<TNotice> notices, Task<TResult> completion, Guid jobId, ILogger logger)
    {
        Notices = notices;
        Completion = completion;
        JobId = jobId;
        Logger = logger;
    }

    /// <summary>The job's result (or its error).</summary>
    public Task<TResult> Completion { get; }

    /// <summary>True when a notice came before (or with) the result: the answer is relayed as it comes.</summary>
    public bool Relaying => Notices.Reader.TryPeek(out _);

    protected NoticeSubscription<TNotice> Notices { get; }

    protected Guid JobId { get; }

    protected ILogger Logger { get; }

    /// <summary>
    /// Subscribes (a 503 naming <paramref name="what"/> when Redis refuses: nothing was sent), sends, and waits for the
    /// first notice or the result; the call is made by <paramref name="create"/>.
    /// </summary>
    protected static async Task<TCall> StartAsync<TCall>(
        Func<Task<NoticeSubscription<TNotice>>> subscribe,
        Func<Task<TResult>> send,
        Func<NoticeSubscription<TNotice>, Task<TResult>, TCall> create,
        string what,
        CancellationToken cancellationToken)
        where TCall : RelayedCall<TNotice, TResult>
    {
        NoticeSubscription<TNotice> notices;
        try
        {
            notices = await subscribe();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new ApiException(503, ErrorTypes.Api, GatewayErrorCodes.ServiceUnavailable, $"The {what} is unavailable right now; retry shortly.");
        }

        var call = create(notices, send());
        try
        {
            await Task.WhenAny(call.Completion, notices.Reader.WaitToReadAsync(cancellationToken).AsTask());
            return call;
        }
        catch
        {
            await call.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        GC.SuppressFinalize(this);
        if (!Completion.IsCompleted)
        {
            _ = Completion.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        try
        {
            await Notices.DisposeAsync();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogUnsubscribeFailed(Logger, JobId, ex); // the subscription goes with the connection
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: its relay channel could not be unsubscribed (the subscription goes with the connection)")]
    private static partial void LogUnsubscribeFailed(ILogger logger, Guid jobId, Exception exception);
}

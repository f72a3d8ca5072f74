using MassTransit;

namespace CCApi.Gateway.Dispatch;

/// <summary>
/// Whether the gateway's bus is connected to RabbitMQ right now, as MassTransit's receive endpoints report it: every
/// endpoint (the direct reply-to endpoint of <see cref="SynchronousCalls"/> included) faults when the connection drops
/// and is ready again once MassTransit has reconnected. A synchronous request waits for its answer on that endpoint's
/// channel, so while the connection is lost the answer cannot arrive: <see cref="Begin"/> refuses new requests with 503
/// at once, and the token it hands out is
/// canceled the moment the connection is lost, so every request already waiting fails with 503 too, instead of each one
/// waiting out <c>Messaging:RequestTimeout</c>. The command itself stays in its durable queue; an adapter may still run
/// it, and JobStatus fails the job after <c>Jobs:StuckAfter</c> if nothing ever finishes it.
/// </summary>
public sealed partial class BusHealthWatch(ILogger<BusHealthWatch> logger) : IReceiveEndpointObserver, IDisposable
{
    private readonly Lock _gate = new();
    private readonly HashSet<Uri> _faulted = [];
    private CancellationTokenSource _connection = new();

    /// <summary>False from the moment an endpoint faulted until every faulted endpoint is ready again.</summary>
    public bool IsConnected
    {
        get
        {
            lock (_gate)
            {
                return _faulted.Count == 0;
            }
        }
    }

    /// <summary>
    /// Starts watching one request: 503 now if the connection is lost; otherwise a token canceled by the client
    /// (<paramref name="requestAborted"/>) or by the loss of the connection, whichever comes first.
    /// </summary>
    public Watch Begin(CancellationToken requestAborted)
    {
        CancellationToken lost;
        lock (_gate)
        {
            if (_faulted.Count > 0)
            {
                throw ProviderDispatcher.BusUnavailable();
            }

            lost = _connection.Token;
        }

        return new Watch(CancellationTokenSource.CreateLinkedTokenSource(requestAborted, lost), lost);
    }

    /// <summary>
    /// Canceled when the connection is lost (already canceled while it is): for a publish nobody should wait on through
    /// an outage — MassTransit would otherwise hold it until the broker is back, and the client with it.
    /// </summary>
    public CancellationToken WhileConnected
    {
        get
        {
            lock (_gate)
            {
                return _faulted.Count == 0 ? _connection.Token : new CancellationToken(canceled: true);
            }
        }
    }

    Task IReceiveEndpointObserver.Faulted(ReceiveEndpointFaulted faulted)
    {
        CancellationTokenSource? lost = null;
        lock (_gate)
        {
            if (_faulted.Add(faulted.InputAddress) && _faulted.Count == 1)
            {
                lost = _connection;
                _connection = new CancellationTokenSource();
            }
        }

        if (lost is not null)
        {
            LogLost(logger, faulted.InputAddress, faulted.Exception?.GetType().Name ?? "faulted");
            lost.Cancel(); // not disposed: watches still read its token
        }

        return Task.CompletedTask;
    }

    Task IReceiveEndpointObserver.Ready(ReceiveEndpointReady ready)
    {
        bool restored;
        lock (_gate)
        {
            restored = _faulted.Remove(ready.InputAddress) && _faulted.Count == 0;
        }

        if (restored)
        {
            LogRestored(logger);
        }

        return Task.CompletedTask;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _connection.Dispose();
        }
    }

    Task IReceiveEndpointObserver.Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    Task IReceiveEndpointObserver.Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    /// <summary>One request's view of the connection; dispose it when the request stops waiting.</summary>
    public sealed class Watch(CancellationTokenSource linked, CancellationToken lost) : IDisposable
    {
        /// <summary>Canceled by the client or by the loss of the connection.</summary>
        public CancellationToken Token => linked.Token;

        /// <summary>True once the connection was lost after this watch began.</summary>
        public bool BusLost => lost.IsCancellationRequested;

        public void Dispose() => linked.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Lost the RabbitMQ connection (endpoint {Endpoint}: {Reason}); failing waiting requests and refusing new ones with 503 until it is back")]
    private static partial void LogLost(ILogger logger, Uri endpoint, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The RabbitMQ connection is back; dispatching again")]
    private static partial void LogRestored(ILogger logger);
}

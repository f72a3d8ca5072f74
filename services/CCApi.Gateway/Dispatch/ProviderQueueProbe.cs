using System.Collections.Concurrent;
using CCApi.Messaging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace CCApi.Gateway.Dispatch;

/// <summary>
/// Whether anything consumes a provider's queue right now, asked of RabbitMQ itself: a passive queue declare answers the
/// queue's consumer count (a missing queue: nobody ever consumed it). This is what decides "no live adapter" at once —
/// also in the first heartbeat period after the catalog starts, when it cannot know yet, and in the seconds between an
/// adapter's death and the catalog noticing its heartbeats stopped (the broker drops a dead connection's consumers as
/// soon as the socket closes). Answers are cached briefly per queue, and concurrent requests share one probe, so the
/// hot path pays at most one broker round trip per queue and second.
/// </summary>
public sealed partial class ProviderQueueProbe(
    IOptions<MessagingOptions> messaging, IOptions<ProviderAvailabilityOptions> options, TimeProvider time, ILogger<ProviderQueueProbe> logger)
    : IAsyncDisposable
{
    public enum QueueState
    {
        /// <summary>At least one consumer: an adapter will take the command.</summary>
        Consumed,

        /// <summary>No consumer (or no queue at all): nothing would take the command.</summary>
        NotConsumed,

        /// <summary>The broker did not answer in time or refused the connection.</summary>
        BrokerUnreachable,

        /// <summary>Not known (in-memory transport, or an unexpected answer): go ahead as before.</summary>
        Unknown,
    }

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private readonly bool _enabled = messaging.Value.Transport == "rabbitmq";
    private IConnection? _connection;

    /// <summary>
    /// The route's queue for <paramref name="kind"/> ("{provider}-{kind}"); 503 provider_unavailable when no adapter
    /// consumes it, 503 service_unavailable when the broker cannot be reached.
    /// </summary>
    public async ValueTask<string> EnsureConsumedAsync(JobRoute route, JobKind kind, CancellationToken cancellationToken)
    {
        var queue = Queues.For(route.Provider, kind);
        Ensure(route, await CheckAsync(queue, cancellationToken));
        return queue;
    }

    /// <summary>
    /// The queue an async image job is sent to: "{provider}-image-async" (<see cref="Queues.ForAsyncImages"/>) — or, while
    /// nothing consumes that but "{provider}-image" is consumed, the latter: the provider's adapters are all from before
    /// the async queue (a rolling upgrade that reached the gateway first), and they take async jobs there. 503s as
    /// <see cref="EnsureConsumedAsync"/> when neither is consumed.
    /// </summary>
    public async ValueTask<string> AsyncImageQueueAsync(JobRoute route, CancellationToken cancellationToken)
    {
        var queue = Queues.ForAsyncImages(route.Provider);
        var state = await CheckAsync(queue, cancellationToken);
        if (state == QueueState.NotConsumed)
        {
            var shared = Queues.For(route.Provider, JobKind.Image);
            if (await CheckAsync(shared, cancellationToken) == QueueState.Consumed)
            {
                return shared;
            }
        }

        Ensure(route, state);
        return queue;
    }

    private static void Ensure(JobRoute route, QueueState state)
    {
        switch (state)
        {
            case QueueState.NotConsumed:
                throw new ApiException(503, ErrorTypes.Api, ErrorCodes.ProviderUnavailable,
                    $"The provider '{route.Provider}' serving '{route.Model}' is unavailable right now (no adapter is running); retry later or choose another model.",
                    new Dictionary<string, string> { ["provider"] = route.Provider, ["model"] = route.Model });
            case QueueState.BrokerUnreachable:
                throw ProviderDispatcher.BusUnavailable();
        }
    }

    public ValueTask<QueueState> CheckAsync(string queue, CancellationToken cancellationToken)
    {
        if (!_enabled)
        {
            return ValueTask.FromResult(QueueState.Unknown);
        }

        var now = time.GetTimestamp();
        if (_entries.TryGetValue(queue, out var entry) && !entry.IsStale(now, time))
        {
            var probe = entry.Probe.Value;
            return probe.IsCompletedSuccessfully ? ValueTask.FromResult(probe.Result) : new ValueTask<QueueState>(probe.WaitAsync(cancellationToken));
        }

        // Only the entry that gets stored is ever evaluated: a burst of requests shares one probe.
        var fresh = new Entry(now, options.Value.ConsumerCacheTtl, new Lazy<Task<QueueState>>(() => ProbeAsync(queue)));
        var current = entry is null ? _entries.GetOrAdd(queue, fresh) : _entries.TryUpdate(queue, fresh, entry) ? fresh : _entries.GetValueOrDefault(queue, fresh);
        return new ValueTask<QueueState>(current.Probe.Value.WaitAsync(cancellationToken));
    }

    private async Task<QueueState> ProbeAsync(string queue)
    {
        using var timeout = new CancellationTokenSource(options.Value.ProbeTimeout);
        try
        {
            var connection = await ConnectAsync(timeout.Token);
            await using var channel = await connection.CreateChannelAsync(cancellationToken: timeout.Token);
            var declared = await channel.QueueDeclarePassiveAsync(queue, timeout.Token);
            return declared.ConsumerCount > 0 ? QueueState.Consumed : QueueState.NotConsumed;
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            return QueueState.NotConsumed; // no such queue: no adapter of this provider and capability ever started
        }
        catch (Exception ex) when (ex is BrokerUnreachableException or OperationCanceledException or TimeoutException or AlreadyClosedException or ConnectFailureException)
        {
            LogUnreachable(logger, queue, ex.GetType().Name);
            await DropConnectionAsync();
            return QueueState.BrokerUnreachable;
        }
        catch (Exception ex)
        {
            LogProbeFailed(logger, queue, ex);
            await DropConnectionAsync();
            return QueueState.Unknown;
        }
    }

    private async Task<IConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_connection is { IsOpen: true } open)
        {
            return open;
        }

        await _connecting.WaitAsync(cancellationToken);
        try
        {
            if (_connection is { IsOpen: true } raced)
            {
                return raced;
            }

            if (_connection is { } closed)
            {
                await closed.DisposeAsync();
            }

            var factory = AmqpAddress.Parse(messaging.Value.ConnectionString).ConnectionFactory("ccapi-gateway-queue-probe");
            factory.AutomaticRecoveryEnabled = false; // a closed connection is simply opened again on the next probe
            factory.TopologyRecoveryEnabled = false;
            factory.RequestedConnectionTimeout = options.Value.ProbeTimeout;
            _connection = await factory.CreateConnectionAsync(cancellationToken);
            return _connection;
        }
        finally
        {
            _connecting.Release();
        }
    }

    private async Task DropConnectionAsync()
    {
        if (Interlocked.Exchange(ref _connection, null) is { } connection)
        {
            try
            {
                await connection.DisposeAsync();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // already broken; nothing to release
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DropConnectionAsync();
        _connecting.Dispose();
    }

    private sealed record Entry(long CreatedAt, TimeSpan Ttl, Lazy<Task<QueueState>> Probe)
    {
        /// <summary>Stale once its TTL passed after it was created and its probe answered (an unanswered probe is shared).</summary>
        public bool IsStale(long now, TimeProvider time) => time.GetElapsedTime(CreatedAt, now) >= Ttl && Probe.Value.IsCompleted;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "RabbitMQ did not answer about queue {Queue} ({Reason}); answering 503")]
    private static partial void LogUnreachable(ILogger logger, string queue, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not ask RabbitMQ about queue {Queue}; dispatching without knowing")]
    private static partial void LogProbeFailed(ILogger logger, string queue, Exception exception);
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using MassTransit;
using MassTransit.RabbitMqTransport;
using MassTransit.Transports;
using StackExchange.Redis;

namespace CCApi.Gateway.Dispatch;

/// <summary>
/// The waiting half of a synchronous call, correlated by request id (design §2's "an equivalent" of MassTransit's
/// request/response). An adapter's answer — the success event or <see cref="JobFailed"/> — and JobStatus' answer to a
/// registration come on this gateway process's own Redis channel (<see cref="SynchronousReplies"/>), named in every
/// command it sends while it listens there: the adapter publishes it in the round trip that stores the job's result
/// anyway, so a call costs the broker one message (the command) instead of two. A consumer fault
/// (<c>Fault&lt;TCommand&gt;</c>) and every answer to a command sent while the channel was not listening come back through
/// RabbitMQ's direct reply-to:
/// this gateway consumes the pseudo-queue <c>amq.rabbitmq.reply-to</c> on one channel, sends its calls on that same channel,
/// and the broker hands each response straight to it. Neither way leaves a queue or exchange to go missing: an answer to a
/// gateway that has died is dropped. (A reply queue auto-deleted with a crashed gateway took its exchange with it, and the
/// late reply of an adapter to that exchange closed the adapter's consuming channel: its queue had no consumer for seconds.)
/// One bus handler per response type, connected to that endpoint once, hands each response to the caller waiting on its id;
/// MassTransit's request client connected three handlers, a timer and a cancellation registration for every call
/// (<c>bench/bus-floor.sh</c>: <c>mt-correlated</c>, <c>mt-replyto</c>). A response whose caller has stopped waiting (timed
/// out, disconnected) is dropped. When the Redis connection that listens drops, the calls told to answer there end at once
/// (<see cref="RepliesLost"/>: their answer may have been published into the gap), and new calls answer on the bus until it
/// is back. A streaming chat this process starts hears its notifications on the same channel (<see cref="ExpectStream"/>).
/// </summary>
public sealed partial class SynchronousCalls(IConnectionMultiplexer redis, ILogger<SynchronousCalls> logger) : IReceiveEndpointObserver, IHostedService, IDisposable
{
    /// <summary>RabbitMQ's direct reply-to pseudo-queue (on the in-memory transport, an ordinary queue of that name).</summary>
    public const string EndpointName = RabbitMqExchangeNames.ReplyTo;

    /// <summary>How long the listener waits before it tries Redis again.</summary>
    public static readonly TimeSpan ListenRetryDelay = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<Guid, Waiter> _waiting = new();
    private readonly ConcurrentDictionary<Guid, Channel<RedisValue>> _streams = new();
    private readonly ConcurrentDictionary<Type, ConnectHandle> _handlers = new();
    private readonly Lock _connect = new();
    private readonly string _channel = RedisKeys.SynchronousReplies(Guid.NewGuid());
    private readonly CancellationTokenSource _stopping = new();
    private volatile IReceiveEndpoint? _endpoint;
    private volatile bool _listening;
    private volatile bool _subscribed;
    private int _listenRunning;

    /// <summary>How many calls are waiting for their response.</summary>
    public int Waiting => _waiting.Count;

    /// <summary>Whether new calls are answered on this process's Redis channel (else on the bus).</summary>
    public bool ListeningOnRedis => _listening;

    /// <summary>The bus's endpoint for the responses (the bus configures it at start; see <see cref="Configure"/>).</summary>
    private IReceiveEndpoint Endpoint => _endpoint
        ?? throw new MassTransitException("The endpoint for synchronous responses has not started yet.");

    /// <summary>Adds the responses' endpoint to the bus: no topology of its own, and this class told when it is ready.</summary>
    public void Configure(IBusFactoryConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.ReceiveEndpoint(EndpointName, endpoint =>
        {
            endpoint.ConfigureConsumeTopology = false;
            endpoint.ConnectReceiveEndpointObserver(this);
        });
    }

    /// <summary>
    /// Starts waiting for the response to <paramref name="requestId"/> (before the command is sent, so that no response
    /// can come first). Dispose the result to stop waiting.
    /// </summary>
    public Call Expect<TCommand, TSuccess>(Guid requestId)
        where TCommand : class
        where TSuccess : class
    {
        var endpoint = Endpoint;
        Listen<TSuccess>(endpoint);
        Listen<JobFailed>(endpoint);
        Listen<Fault<TCommand>>(endpoint);
        var waiter = new Waiter(typeof(TSuccess), _listening ? _channel : null, Activity.Current?.Context ?? default);
        ChannelChosen?.Invoke();
        if (!_waiting.TryAdd(requestId, waiter))
        {
            throw DuplicateCall(requestId);
        }

        if (waiter.Channel is not null && !StillListening())
        {
            waiter = AnswerOnTheBus(requestId, waiter);
        }

        return new Call(this, endpoint, requestId, waiter);
    }

    /// <summary>
    /// Starts taking the notifications of the chat stream <paramref name="jobId"/> from this process's channel, before its
    /// command is sent: the adapter publishes each append's notification there too, when the command names the channel
    /// (<see cref="StreamNotices.Channel"/>), and the stream's reader takes them (<see cref="ChatStreams.ReadNewAsync"/>)
    /// without a subscription of its own. Null while new calls are answered on the bus: the reader subscribes to the
    /// job's channel then. Dispose the result to stop.
    /// </summary>
    public StreamNotices? ExpectStream(Guid jobId)
    {
        if (!_listening)
        {
            return null;
        }

        var notices = ChatStreams.CreateNotices();
        ChannelChosen?.Invoke();
        if (!_streams.TryAdd(jobId, notices))
        {
            throw new InvalidOperationException($"The stream of job {jobId} is already expected.");
        }

        var expected = new StreamNotices(this, jobId, _channel, notices);
        if (!StillListening())
        {
            expected.Dispose(); // as for a call (Expect): the reader subscribes to the job's own channel instead
            return null;
        }

        return expected;
    }

    /// <summary>
    /// Test seam: runs after a call or a stream has chosen this process's channel (listening) and before it is added where
    /// <see cref="SubscriptionLost"/> looks, which is where the subscription dropping would be missed without the re-check.
    /// </summary>
    internal Action? ChannelChosen { get; set; }

    /// <summary>
    /// Whether new calls are still answered on Redis, read after the call was added: either this read sees the
    /// subscription lost, or <see cref="SubscriptionLost"/>'s sweep, which runs after its write, sees the call (each side
    /// fences between its write and its read, so both cannot miss the other).
    /// </summary>
    private bool StillListening()
    {
        Interlocked.MemoryBarrier();
        return _listening;
    }

    /// <summary>
    /// The subscription dropped between the call's choice of channel and its addition, so the sweep may have passed it:
    /// its command is not sent yet, so it is told to answer on the bus instead. If the sweep did take it (and answered a
    /// waiter nobody holds any more), the bus waiter is added afresh.
    /// </summary>
    private Waiter AnswerOnTheBus(Guid requestId, Waiter onRedis)
    {
        var onBus = new Waiter(onRedis.Success, channel: null, onRedis.Caller);
        return _waiting.TryUpdate(requestId, onBus, onRedis) || _waiting.TryAdd(requestId, onBus) ? onBus : throw DuplicateCall(requestId);
    }

    private static InvalidOperationException DuplicateCall(Guid requestId) =>
        new($"A call with request id {requestId} is already waiting.");

    /// <summary>Subscribes this process's channel in the background; until it has, calls are answered on the bus.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
        _ = ListenAsync();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        _listening = false;
        _subscribed = false;
        redis.ConnectionFailed -= OnConnectionFailed;
        redis.ConnectionRestored -= OnConnectionRestored;
        try
        {
            await redis.GetSubscriber().UnsubscribeAsync(SynchronousReplies.Channel(_channel), OnReply);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // the connection closes with the process
        }
    }

    /// <summary>Cancels rather than disposes (see <see cref="Auth.BootstrapApiKeyService.Dispose"/>): a stop after it must not throw.</summary>
    public void Dispose() => _stopping.Cancel();

    private void OnReply(RedisChannel channel, RedisValue message)
    {
        if (SynchronousReplies.TryParseStreamNotice(message, out var jobId, out var notice))
        {
            if (_streams.TryGetValue(jobId, out var notices))
            {
                notices.Writer.TryWrite(notice); // the reader continues on this worker (ChatStreams.CreateNotices)
            }

            return;
        }

        if (!SynchronousReplies.TryParse(message, out var requestId, out var failed, out var json) || !_waiting.TryRemove(requestId, out var waiter))
        {
            return; // not ours, or its caller has stopped waiting
        }

        object? response;
        using (var activity = CcapiTelemetry.Source.StartActivity(SynchronousReplies.ReceiveSpanName, ActivityKind.Consumer, waiter.Caller))
        {
            activity?.SetTag("messaging.system", "redis");
            activity?.SetTag("messaging.destination.name", _channel);
            try
            {
                response = JsonSerializer.Deserialize(json.Span, failed ? typeof(JobFailed) : waiter.Success);
            }
            catch (JsonException ex)
            {
                LogUnreadableReply(logger, requestId, ex);
                response = null;
            }
        }

        // StackExchange.Redis runs this handler on a thread-pool worker, so the caller continues right here.
        waiter.Answer(response ?? UnreadableReply.Instance);
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            SubscriptionLost();
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            _ = SubscriptionRestoredAsync();
        }
    }

    /// <summary>
    /// The subscription connection dropped: an answer published meanwhile is lost, so the calls told to answer on Redis
    /// end now (<see cref="RepliesLost"/>) rather than at their timeout, and new calls answer on the bus.
    /// </summary>
    internal void SubscriptionLost()
    {
        _listening = false;
        Interlocked.MemoryBarrier(); // the write before the sweep's reads (see StillListening)
        foreach (var (id, waiter) in _waiting)
        {
            if (waiter.Channel is not null && _waiting.TryRemove(id, out _))
            {
                // Each caller continues on a worker of its own, not one after another in the connection's event.
                ThreadPool.UnsafeQueueUserWorkItem(static w => w.Answer(RepliesLost.Instance), waiter, preferLocal: false);
            }
        }

        // A stream loses nothing but time: told of the gap (a message that is no notification), its reader reads the stream
        // at once; a notification published while the connection was down is a gap it reads when the next one comes (the
        // subscription is restored with the connection), or its fallback poll finds (ChatStreams.ReadNewAsync).
        foreach (var (_, notices) in _streams)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static n => n.Writer.TryWrite(RedisValue.Null), notices, preferLocal: false);
        }
    }

    /// <summary>The subscription connection is back: listening again once the channel answers (<see cref="ListenAsync"/>).</summary>
    internal Task SubscriptionRestoredAsync() => ListenAsync();

    /// <summary>
    /// Turns listening on once the channel is subscribed: at start, and after the subscription connection is restored
    /// (StackExchange.Redis subscribes again on it; a PING on that connection answers after the SUBSCRIBE it sent first).
    /// While Redis cannot be reached it tries again every <see cref="ListenRetryDelay"/> until the process stops; one
    /// attempt runs at a time.
    /// </summary>
    private async Task ListenAsync()
    {
        if (Interlocked.Exchange(ref _listenRunning, 1) == 1)
        {
            return;
        }

        try
        {
            for (var attempt = 0; !_stopping.IsCancellationRequested; attempt++)
            {
                try
                {
                    var subscriber = redis.GetSubscriber();
                    if (!_subscribed)
                    {
                        await subscriber.SubscribeAsync(SynchronousReplies.Channel(_channel), OnReply);
                        _subscribed = true;
                    }

                    await subscriber.PingAsync();
                    _listening = true;
                    Interlocked.MemoryBarrier();
                    if (_stopping.IsCancellationRequested)
                    {
                        _listening = false; // stopped while the PING was out: StopAsync's "not listening" stands
                    }

                    return;
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    if (attempt == 0)
                    {
                        LogNotListening(logger, ex);
                    }

                    await Task.Delay(ListenRetryDelay, _stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _listenRunning, 0);
        }
    }

    private void Listen<T>(IReceiveEndpoint endpoint)
        where T : class
    {
        if (_handlers.ContainsKey(typeof(T)))
        {
            return;
        }

        lock (_connect)
        {
            if (!_handlers.ContainsKey(typeof(T)))
            {
                _handlers[typeof(T)] = endpoint.ConnectHandler<T>(Deliver);
            }
        }
    }

    private Task Deliver<T>(ConsumeContext<T> context)
        where T : class
    {
        if (context.RequestId is { } id && _waiting.TryRemove(id, out var waiting))
        {
            waiting.Answer(context.Message); // the bus's consume runs on a thread-pool worker too
        }

        return Task.CompletedTask;
    }

    Task IReceiveEndpointObserver.Ready(ReceiveEndpointReady ready)
    {
        _endpoint = ready.ReceiveEndpoint; // the same endpoint on every reconnection
        return Task.CompletedTask;
    }

    Task IReceiveEndpointObserver.Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    Task IReceiveEndpointObserver.Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    Task IReceiveEndpointObserver.Faulted(ReceiveEndpointFaulted faulted) => Task.CompletedTask;

    /// <summary>
    /// One call waiting for its response: the success event, <see cref="JobFailed"/> or a <see cref="Fault"/>. Its
    /// message goes out through <see cref="SendAsync{T}"/> or <see cref="PublishAsync{T}"/>, on the channel that consumes
    /// the replies — RabbitMQ delivers a direct reply only to the channel the request was published on.
    /// </summary>
    public readonly struct Call(SynchronousCalls calls, IReceiveEndpoint endpoint, Guid requestId, Waiter waiter) : IDisposable
    {
        public Guid RequestId => requestId;

        /// <summary>The success event, <see cref="JobFailed"/>, a <see cref="Fault"/>, <see cref="RepliesLost"/> or <see cref="UnreadableReply"/>.</summary>
        public Task<object> Response => waiter.Response;

        /// <summary>Sends this call's command to <paramref name="destination"/> (see <see cref="Address"/>).</summary>
        public async Task SendAsync<T>(Uri destination, T message, TimeSpan timeToLive, Action<SendContext>? configure, CancellationToken cancellationToken)
            where T : class
        {
            var address = this;
            var send = await endpoint.GetSendEndpoint(destination);
            await send.Send(message, context =>
            {
                address.Address(context, timeToLive);
                configure?.Invoke(context);
            }, cancellationToken);
        }

        /// <summary>Publishes this call's message to whoever subscribes to its type (see <see cref="Address"/>).</summary>
        public Task PublishAsync<T>(T message, TimeSpan timeToLive, CancellationToken cancellationToken)
            where T : class
        {
            var address = this;
            return new PublishEndpoint(endpoint).Publish(message, context => address.Address(context, timeToLive), cancellationToken);
        }

        /// <summary>
        /// Makes the message going out this call's request: its response comes back to this gateway, and it expires in its
        /// queue when the caller stops waiting (<paramref name="timeToLive"/>), as MassTransit's request client did.
        /// </summary>
        private void Address(SendContext context, TimeSpan timeToLive)
        {
            context.RequestId = requestId;
            context.ResponseAddress = endpoint.InputAddress;
            context.TimeToLive = timeToLive;
            if (waiter.Channel is { } channel)
            {
                context.Headers.Set(SynchronousReplies.ChannelHeader, channel);
            }
        }

        public void Dispose() => calls._waiting.TryRemove(requestId, out _);
    }

    /// <summary>A call waiting: what its success event is, the channel it was told to answer on (null: the bus), its caller's span.</summary>
    public sealed class Waiter(Type success, string? channel, ActivityContext caller)
    {
        // Continuations run on the thread that answers (no RunContinuationsAsynchronously): every answer arrives on a
        // thread-pool worker already (StackExchange.Redis' handler, the bus's consume), and queueing the caller to yet
        // another worker cost each synchronous call one more wake-up and thread hop (issue 10).
        private readonly TaskCompletionSource<object> _response = new();

        public Type Success => success;

        public string? Channel => channel;

        public ActivityContext Caller => caller;

        public Task<object> Response => _response.Task;

        /// <summary>
        /// Completes the call; its caller continues on this thread up to its next await. Call it from a thread-pool
        /// worker that holds nothing (no lock, no other caller behind it).
        /// </summary>
        public void Answer(object response) => _response.TrySetResult(response);
    }

    /// <summary>
    /// A stream's notifications as this process hears them (<see cref="ExpectStream"/>): <see cref="Channel"/> goes in its
    /// command's <see cref="SynchronousReplies.ChannelHeader"/>, <see cref="Notices"/> to its reader.
    /// </summary>
    public sealed class StreamNotices(SynchronousCalls calls, Guid jobId, string channel, Channel<RedisValue> notices) : IDisposable
    {
        public string Channel => channel;

        public Channel<RedisValue> Notices => notices;

        public void Dispose() => calls._streams.TryRemove(new KeyValuePair<Guid, Channel<RedisValue>>(jobId, notices));
    }

    /// <summary>The Redis connection this call's answer was to come on dropped: the answer may be lost.</summary>
    public sealed class RepliesLost
    {
        public static readonly RepliesLost Instance = new();

        private RepliesLost()
        {
        }
    }

    /// <summary>An answer that did not read as the call's success event or a <see cref="JobFailed"/>.</summary>
    public sealed class UnreadableReply
    {
        public static readonly UnreadableReply Instance = new();

        private UnreadableReply()
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not listening for synchronous answers on Redis (they come through the bus meanwhile)")]
    private static partial void LogNotListening(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "The answer to synchronous call {RequestId} could not be read")]
    private static partial void LogUnreadableReply(ILogger logger, Guid requestId, Exception exception);
}

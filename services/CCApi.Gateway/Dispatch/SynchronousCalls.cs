using System.Collections.Concurrent;
using MassTransit;
using MassTransit.RabbitMqTransport;
using MassTransit.Transports;

namespace CCApi.Gateway.Dispatch;

/// <summary>
/// The waiting half of a synchronous call, correlated by request id (design §2's "an equivalent" of MassTransit's
/// request/response). The responses come back through RabbitMQ's direct reply-to: this gateway consumes the pseudo-queue
/// <c>amq.rabbitmq.reply-to</c> on one channel, sends its calls on that same channel, and the broker hands each response
/// straight to it. There is no reply queue or exchange to go missing: a response to a gateway that has died is discarded
/// by the broker. (A reply queue auto-deleted with a crashed gateway took its exchange with it, and the late reply of an
/// adapter to that exchange closed the adapter's consuming channel: its queue had no consumer for seconds.)
/// One handler per response type — the success event, <see cref="JobFailed"/>, the adapter's <c>Fault&lt;TCommand&gt;</c> —
/// connected to that endpoint once, hands each response to the caller waiting on its id; MassTransit's request client
/// connected three handlers, a timer and a cancellation registration for every call (<c>bench/bus-floor.sh</c>:
/// <c>mt-correlated</c>, <c>mt-replyto</c>). The adapters do not change: to them this is a request like any other,
/// answered with <c>RespondAsync</c>, which MassTransit routes by the request's reply-to.
/// A response whose caller has stopped waiting (timed out, disconnected) is consumed and dropped.
/// </summary>
public sealed class SynchronousCalls : IReceiveEndpointObserver
{
    /// <summary>RabbitMQ's direct reply-to pseudo-queue (on the in-memory transport, an ordinary queue of that name).</summary>
    public const string EndpointName = RabbitMqExchangeNames.ReplyTo;

    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<object>> _waiting = new();
    private readonly ConcurrentDictionary<Type, ConnectHandle> _handlers = new();
    private readonly Lock _connect = new();
    private volatile IReceiveEndpoint? _endpoint;

    /// <summary>How many calls are waiting for their response.</summary>
    public int Waiting => _waiting.Count;

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
        var response = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_waiting.TryAdd(requestId, response))
        {
            throw new InvalidOperationException($"A call with request id {requestId} is already waiting.");
        }

        return new Call(this, endpoint, requestId, response.Task);
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
            waiting.TrySetResult(context.Message);
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
    public readonly struct Call(SynchronousCalls calls, IReceiveEndpoint endpoint, Guid requestId, Task<object> response) : IDisposable
    {
        public Guid RequestId => requestId;

        public Task<object> Response => response;

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
        }

        public void Dispose() => calls._waiting.TryRemove(requestId, out _);
    }
}

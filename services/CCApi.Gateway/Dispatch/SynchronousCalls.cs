using System.Collections.Concurrent;
using MassTransit;

namespace CCApi.Gateway.Dispatch;

/// <summary>
/// The waiting half of a synchronous call, correlated by request id (design §2's "an equivalent" of MassTransit's
/// request/response): the command goes out with a request id and this bus's endpoint as its response address, and one
/// handler per response type — the success event, <see cref="JobFailed"/>, the adapter's <c>Fault&lt;TCommand&gt;</c> —
/// connected to the bus endpoint once, hands each response to the caller waiting on its id. MassTransit's request client
/// connected three handlers, a timer and a cancellation registration for every call; without them a round trip took
/// ~175 µs less at the median and ~250 µs less CPU (<c>bench/bus-floor.sh</c>, <c>mt-correlated</c>). The adapters do not
/// change: to them this is a request like any other, answered with <c>RespondAsync</c>.
/// A response whose caller has stopped waiting (timed out, disconnected) is consumed and dropped.
/// </summary>
public sealed class SynchronousCalls(IBus bus)
{
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<object>> _waiting = new();
    private readonly ConcurrentDictionary<Type, ConnectHandle> _handlers = new();
    private readonly Lock _connect = new();

    /// <summary>Where the responses come back: the bus endpoint's own queue.</summary>
    public Uri ResponseAddress => bus.Address;

    /// <summary>How many calls are waiting for their response.</summary>
    public int Waiting => _waiting.Count;

    /// <summary>
    /// Starts waiting for the response to <paramref name="requestId"/> (before the command is sent, so that no response
    /// can come first). Dispose the result to stop waiting.
    /// </summary>
    public Call Expect<TCommand, TSuccess>(Guid requestId)
        where TCommand : class
        where TSuccess : class
    {
        Listen<TSuccess>();
        Listen<JobFailed>();
        Listen<Fault<TCommand>>();
        var response = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_waiting.TryAdd(requestId, response))
        {
            throw new InvalidOperationException($"A call with request id {requestId} is already waiting.");
        }

        return new Call(this, requestId, response.Task);
    }

    private void Listen<T>()
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
                _handlers[typeof(T)] = bus.ConnectHandler<T>(Deliver);
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

    /// <summary>One call waiting for its response: the success event, <see cref="JobFailed"/> or a <see cref="Fault"/>.</summary>
    public readonly struct Call(SynchronousCalls calls, Guid requestId, Task<object> response) : IDisposable
    {
        public Guid RequestId => requestId;

        public Task<object> Response => response;

        /// <summary>
        /// Makes the message going out this call's request: its response comes back to this gateway, and it expires in its
        /// queue when the caller stops waiting (<paramref name="timeToLive"/>), as MassTransit's request client did.
        /// </summary>
        public void Address(SendContext context, TimeSpan timeToLive)
        {
            ArgumentNullException.ThrowIfNull(context);
            context.RequestId = requestId;
            context.ResponseAddress = calls.ResponseAddress;
            context.TimeToLive = timeToLive;
        }

        public void Dispose() => calls._waiting.TryRemove(requestId, out _);
    }
}

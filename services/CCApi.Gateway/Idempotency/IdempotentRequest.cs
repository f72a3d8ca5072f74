namespace CCApi.Gateway.Idempotency;

/// <summary>
/// Set on a request that carries an <c>Idempotency-Key</c>. The dispatcher marks it when a command leaves for a provider:
/// from then on the request "started executing" (Stripe's words) and its outcome, even an error, is saved for replay.
/// </summary>
public sealed class IdempotentRequest
{
    private int _dispatched;
    private int _streamed;

    public bool Dispatched => Volatile.Read(ref _dispatched) == 1;

    /// <summary>
    /// The answer is written as the job makes it (a chat stream, an image stream relaying partial images): passed through
    /// to its client as it comes, never held back until saved; saved whole when its client stays to the end. Marked by the
    /// handler that returns such a result, so the filter never has to know the result types.
    /// </summary>
    public bool Streamed => Volatile.Read(ref _streamed) == 1;

    public void MarkDispatched() => Volatile.Write(ref _dispatched, 1);

    public void MarkStreamed() => Volatile.Write(ref _streamed, 1);
}

public static class IdempotentRequestExtensions
{
    /// <summary>The request's idempotency state, or null when it carries no <c>Idempotency-Key</c>.</summary>
    public static IdempotentRequest? IdempotentRequest(this HttpContext? context) => context?.Features.Get<IdempotentRequest>();
}

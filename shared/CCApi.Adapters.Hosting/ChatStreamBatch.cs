using System.Runtime.CompilerServices;
using CCApi.Contracts;
using CCApi.Storage;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// A streaming chat consumer's entries on their way to the job's Redis stream (<see cref="ChatStreams"/>): each delta is
/// added as the upstream chunk is parsed, and what has gathered goes out in one append — one Redis round trip, one
/// notification — as soon as the upstream has nothing more buffered (<see cref="Relay{T}"/>), so chunks the provider sent
/// together are not appended one round trip after another. The first token (with the role entry before it) goes out the
/// moment it is added, never held back for the chunks behind it. Entries keep their order: a batch is appended only
/// after the one before it has been. <c>gatewayChannel</c>: the command's <see cref="SynchronousReplies.ChannelHeader"/>
/// (<see cref="StreamingChatJobs.GatewayChannel"/>), where each append's notification goes too.
/// </summary>
public sealed class ChatStreamBatch(ChatStreams streams, Guid jobId, string? gatewayChannel = null)
{
    private readonly List<ChatStreamDelta> _pending = [];
    private bool _tokenOut;

    public void Add(ChatStreamDelta delta) => _pending.Add(delta);

    /// <summary>Appends what has gathered (nothing when nothing has).</summary>
    public async Task FlushAsync()
    {
        if (_pending.Count == 0)
        {
            return;
        }

        var deltas = _pending.ToArray();
        _pending.Clear();
        await streams.AppendAsync(jobId, deltas, gatewayChannel);
        _tokenOut |= Array.Exists(deltas, IsToken);
    }

    /// <summary>
    /// The upstream's chunks, flushing the batch whenever the next one is not there yet (the read would wait) and before
    /// the upstream's failure reaches the caller, so the entries of the chunks before it are in the stream ahead of the error.
    /// </summary>
    public async IAsyncEnumerable<T> Relay<T>(IAsyncEnumerable<T> upstream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        await using var chunks = upstream.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            if (!_tokenOut && _pending.Exists(IsToken))
            {
                await FlushAsync(); // the first token waits for nothing but its own round trip
            }

            var next = chunks.MoveNextAsync();
            if (!next.IsCompleted)
            {
                await FlushAsync();
            }

            bool more;
            try
            {
                more = await next;
            }
            catch
            {
                await FlushAsync();
                throw;
            }

            if (!more)
            {
                yield break;
            }

            yield return chunks.Current;
        }
    }

    /// <summary>Anything a client sees as the stream's start (all but the bare role entry), as the gateway counts it.</summary>
    private static bool IsToken(ChatStreamDelta delta) =>
        delta.Content is not null || delta.ToolCalls is not null || delta.FinishReason is not null || delta.Usage is not null
        || delta.Done || delta.Error is not null;
}

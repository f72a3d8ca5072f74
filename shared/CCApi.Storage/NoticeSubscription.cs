using System.Threading.Channels;
using StackExchange.Redis;

namespace CCApi.Storage;

/// <summary>
/// One job's notices on a Redis pub/sub channel (<see cref="ImagePartials"/>, <see cref="SpeechChunks"/>), in the order
/// they were published (StackExchange.Redis' <see cref="ChannelMessageQueue"/>), parsed and held in a bounded channel: a
/// reader that falls behind by <c>backlog</c> notices misses the newer ones — never the job's result, which travels on the
/// bus. Disposing unsubscribes.
/// </summary>
public sealed class NoticeSubscription<T> : IAsyncDisposable
    where T : notnull
{
    private readonly ChannelMessageQueue _queue;
    private readonly Channel<T> _notices;

    /// <param name="parse">Null for anything that is not a notice (the channel is the platform's own; nothing else publishes there).</param>
    internal NoticeSubscription(ChannelMessageQueue queue, int backlog, Func<RedisValue, T?> parse)
    {
        _notices = Channel.CreateBounded<T>(new BoundedChannelOptions(backlog)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
            SingleWriter = true,
        });
        _queue = queue;
        _queue.OnMessage(message =>
        {
            if (parse(message.Message) is { } notice)
            {
                _notices.Writer.TryWrite(notice);
            }
        });
    }

    public ChannelReader<T> Reader => _notices.Reader;

    public async ValueTask DisposeAsync()
    {
        _notices.Writer.TryComplete();
        await _queue.UnsubscribeAsync();
    }
}

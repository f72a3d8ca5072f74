using System.Globalization;
using StackExchange.Redis;

namespace CCApi.Storage;

/// <summary>One piece of a speech job's audio as its provider delivered it: where it starts in the audio, and its bytes in base64.</summary>
public sealed record SpeechChunk(long Offset, string Base64);

/// <summary>
/// A speech job's audio travels adapter → gateway as it is made (<c>Speech.StreamAudio</c>), outside the bus, as image
/// partials do (<see cref="ImagePartials"/>): the adapter publishes each piece its provider delivers on the job's channel,
/// with the offset it starts at; the gateway subscribes before it sends the command and plays the pieces to its client
/// in order. Best effort by design: the job's result still carries the whole audio as a blob, so a piece lost (a notice
/// dropped, Redis refusing one) costs only latency — the gateway takes the rest of the audio from the blob, from the
/// first byte it has not sent. Pieces are small (what one read of the provider's response brought, at most
/// <see cref="MaxChunkBytes"/>), so they go through pub/sub themselves.
/// </summary>
public sealed class SpeechChunks(IConnectionMultiplexer redis)
{
    /// <summary>The largest piece one notice carries; an adapter splits a larger read.</summary>
    public const int MaxChunkBytes = 32 * 1024;

    /// <summary>Notices a subscription holds before it drops new ones (a client reading slowly: the rest comes from the blob).</summary>
    private const int Backlog = 256;

    /// <summary>
    /// Publishes the piece of audio that starts at <paramref name="offset"/>, split into notices of at most
    /// <see cref="MaxChunkBytes"/>. Best effort: false when Redis could not take it — the result's blob has the audio.
    /// </summary>
    public async Task<bool> PublishAsync(Guid jobId, long offset, ReadOnlyMemory<byte> audio)
    {
        try
        {
            var channel = Channel(jobId);
            var subscriber = redis.GetSubscriber();
            for (var start = 0; start < audio.Length; start += MaxChunkBytes)
            {
                var piece = audio.Slice(start, Math.Min(MaxChunkBytes, audio.Length - start));
                await subscriber.PublishAsync(channel, Format(offset + start, piece.Span));
            }

            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Subscribes to a job's audio; call before the command goes out, so no piece can be published unseen.</summary>
    public async Task<NoticeSubscription<SpeechChunk>> SubscribeAsync(Guid jobId) =>
        new(await redis.GetSubscriber().SubscribeAsync(Channel(jobId)), Backlog, Parse);

    private static RedisChannel Channel(Guid jobId) => new(RedisKeys.JobAudioChannel(jobId), RedisChannel.PatternMode.Literal);

    /// <summary>"&lt;offset&gt;\n&lt;base64&gt;": base64 because the gateway's events carry it so (no re-encoding on the way).</summary>
    private static string Format(long offset, ReadOnlySpan<byte> piece) =>
        offset.ToString(CultureInfo.InvariantCulture) + "\n" + Convert.ToBase64String(piece);

    private static SpeechChunk? Parse(RedisValue message)
    {
        var text = (string?)message ?? "";
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        return newline > 0
            && long.TryParse(text.AsSpan(0, newline), NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
            && newline + 1 < text.Length
            ? new SpeechChunk(offset, text[(newline + 1)..])
            : null;
    }
}

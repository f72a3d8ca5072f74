using System.Text.Json;
using CCApi.Contracts;
using StackExchange.Redis;

namespace CCApi.Storage;

/// <summary>
/// A streamed synchronous image job's partial images travel adapter → gateway outside the bus, as chat chunks do
/// (<see cref="ChatStreams"/>), but lighter: the adapter stores each partial as a short-lived blob and publishes a small
/// <see cref="ImagePartial"/> on the job's channel; the gateway subscribes before it sends the command. Best effort by
/// design — a partial whose notice is lost is simply not shown (OpenAI's contract: fewer partials than asked may come),
/// and the job's result never depends on them. Notices, not the images, go through pub/sub: a burst of large messages
/// would overrun the subscriber's output buffer in Redis and cut its connection.
/// </summary>
public sealed class ImagePartials(IConnectionMultiplexer redis, IBlobStore blobs)
{
    /// <summary>How long a partial's bytes stay in the blob store: the gateway reads them as the notice arrives.</summary>
    public static readonly TimeSpan BlobTtl = TimeSpan.FromMinutes(10);

    /// <summary>Notices a subscription holds before it drops new ones (a client reading slowly: it misses partials, never the result).</summary>
    private const int Backlog = 32;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Stores a partial image and tells whoever waits for the job (nobody, if its caller did not stream). Best effort:
    /// false when Redis could not take it — a preview lost must not fail the job, whose result is what counts.
    /// </summary>
    public async Task<bool> PublishAsync(Guid jobId, int index, ReadOnlyMemory<byte> bytes, string contentType, CancellationToken cancellationToken = default)
    {
        try
        {
            var blob = await blobs.PutAsync(bytes, contentType, BlobTtl, cancellationToken);
            var notice = JsonSerializer.Serialize(new ImagePartial { Index = index, Blob = blob }, Json);
            await redis.GetSubscriber().PublishAsync(Channel(jobId), notice);
            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Subscribes to a job's partials; call before the command goes out, so none can be published unseen.</summary>
    public async Task<NoticeSubscription<ImagePartial>> SubscribeAsync(Guid jobId) =>
        new(await redis.GetSubscriber().SubscribeAsync(Channel(jobId)), Backlog, Parse);

    private static RedisChannel Channel(Guid jobId) => new(RedisKeys.JobPartialsChannel(jobId), RedisChannel.PatternMode.Literal);

    private static ImagePartial? Parse(RedisValue message)
    {
        try
        {
            return JsonSerializer.Deserialize<ImagePartial>((string?)message ?? "", Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

using System.Security.Cryptography;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CCApi.Storage;

/// <summary>Where image and audio bytes live, so that messages carry only a <see cref="BlobRef"/>.</summary>
public interface IBlobStore
{
    Task<BlobRef> PutAsync(ReadOnlyMemory<byte> bytes, string contentType, CancellationToken cancellationToken = default);

    /// <summary>A blob that lives <paramref name="ttl"/> instead of the store's usual time (a partial image: read once, at once).</summary>
    Task<BlobRef> PutAsync(ReadOnlyMemory<byte> bytes, string contentType, TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>Null when the blob does not exist or has expired.</summary>
    Task<Blob?> GetAsync(string blobId, CancellationToken cancellationToken = default);
}

public sealed record Blob(byte[] Bytes, string ContentType);

/// <summary>Blobs in Redis with a TTL: one hash per blob (content type + bytes).</summary>
public sealed class RedisBlobStore(IConnectionMultiplexer redis, IOptions<RedisOptions> options) : IBlobStore
{
    private static readonly RedisValue DataField = "data";
    private static readonly RedisValue TypeField = "type";

    public Task<BlobRef> PutAsync(ReadOnlyMemory<byte> bytes, string contentType, CancellationToken cancellationToken = default) =>
        PutAsync(bytes, contentType, options.Value.BlobTtl, cancellationToken);

    public async Task<BlobRef> PutAsync(ReadOnlyMemory<byte> bytes, string contentType, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        if (bytes.Length > options.Value.MaxBlobBytes)
        {
            throw TooLarge(bytes.Length, options.Value.MaxBlobBytes);
        }

        var id = NewId();
        var key = RedisKeys.Blob(id);
        var db = redis.GetDatabase();
        var tx = db.CreateTransaction();
        _ = tx.HashSetAsync(key, [new HashEntry(TypeField, contentType), new HashEntry(DataField, bytes.ToArray())]);
        _ = tx.KeyExpireAsync(key, ttl);
        await tx.ExecuteAsync();
        return new BlobRef { Id = id, ContentType = contentType, Length = bytes.Length };
    }

    public async Task<Blob?> GetAsync(string blobId, CancellationToken cancellationToken = default)
    {
        if (!IsValidId(blobId))
        {
            return null;
        }

        var values = await redis.GetDatabase().HashGetAsync(RedisKeys.Blob(blobId), [TypeField, DataField]);
        return values[1].IsNull ? null : new Blob((byte[])values[1]!, (string?)values[0] ?? "application/octet-stream");
    }

    /// <summary>400 result_too_large: what the job produced exceeds <see cref="RedisOptions.MaxBlobBytes"/>; nothing was stored.</summary>
    public static ApiException TooLarge(long length, long max) =>
        new(400, ErrorTypes.InvalidRequest, "result_too_large",
            $"The result ({length} bytes) is larger than this platform stores ({max} bytes); ask for less (a shorter input, a smaller size or fewer images).",
            new Dictionary<string, string> { ["length"] = length.ToString(System.Globalization.CultureInfo.InvariantCulture), ["max"] = max.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    /// <summary>128 random bits, URL-safe: unguessable on its own, and signed URLs add expiry on top.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static bool IsValidId(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);
}

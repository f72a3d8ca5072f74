using System.Security.Cryptography;
using System.Text;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CCApi.Gateway.Auth;

/// <summary>The authenticated caller: the key's id (owner of its jobs) and name. Never the key itself.</summary>
public sealed record ApiCaller(string KeyId, string Name);

/// <summary>
/// API keys live in Redis as <c>RedisKeys.ApiKey(sha256-hex)</c> → hash {id, name, created}; the key itself is never
/// stored or logged. Lookups are cached in memory (bounded) so the hot path rarely touches Redis.
/// </summary>
public sealed class ApiKeyStore(IConnectionMultiplexer redis, IOptions<AuthOptions> options, TimeProvider time) : IDisposable
{
    private static readonly RedisValue IdField = "id";
    private static readonly RedisValue NameField = "name";
    private static readonly RedisValue CreatedField = "created";
    private static readonly RedisValue[] LookupFields = [IdField, NameField];

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 10_000 });
    private readonly AuthOptions _options = options.Value;

    public static string Hash(string apiKey) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)));

    /// <summary>"key_" + the first 16 hex characters of the key's hash.</summary>
    public static string KeyIdFor(string hash) => "key_" + hash[..16];

    /// <summary>The caller owning <paramref name="apiKey"/>, or null when the key is unknown.</summary>
    public async ValueTask<ApiCaller?> FindAsync(string apiKey)
    {
        var hash = Hash(apiKey);
        if (_cache.TryGetValue(hash, out CachedCaller? cached) && cached is not null)
        {
            return cached.Caller;
        }

        RedisValue[] values;
        try
        {
            values = await redis.GetDatabase().HashGetAsync(RedisKeys.ApiKey(hash), LookupFields);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new ApiException(503, ErrorTypes.Api, GatewayErrorCodes.ServiceUnavailable, "API keys cannot be verified right now; retry shortly.");
        }

        var caller = values[0].IsNull ? null : new ApiCaller((string)values[0]!, values[1].IsNull ? "" : (string)values[1]!);
        var ttl = caller is null ? _options.NegativeCacheTtl : _options.CacheTtl;
        if (ttl > TimeSpan.Zero)
        {
            _cache.Set(hash, new CachedCaller(caller), new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = ttl });
        }

        return caller;
    }

    /// <summary>Stores a key (hashed) with its id and name; keeps the original creation time when it already exists.</summary>
    public async Task<string> StoreAsync(string apiKey, string name)
    {
        var hash = Hash(apiKey);
        var key = RedisKeys.ApiKey(hash);
        var id = KeyIdFor(hash);
        var db = redis.GetDatabase();
        await db.HashSetAsync(key, [new HashEntry(IdField, id), new HashEntry(NameField, name)]);
        await db.HashSetAsync(key, CreatedField, time.GetUtcNow().ToUnixTimeSeconds(), When.NotExists);
        _cache.Remove(hash);
        return id;
    }

    public void Dispose() => _cache.Dispose();

    private sealed record CachedCaller(ApiCaller? Caller);
}

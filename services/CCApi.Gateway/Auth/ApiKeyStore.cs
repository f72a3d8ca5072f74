using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using CCApi.Gateway.Accounts;
using Microsoft.Extensions.Caching.Memory;
using StackExchange.Redis;

namespace CCApi.Gateway.Auth;

/// <summary>The authenticated caller: the key's id (owner of its jobs), name and what it may use. Never the key itself.</summary>
public sealed record ApiCaller(string KeyId, string Name)
{
    /// <summary>Allowed models; null = every model.</summary>
    public ModelAllowList? Models { get; init; }

    /// <summary>False: models without a price (pass-through ids) answer 403.</summary>
    public bool AllowUnpriced { get; init; } = true;

    /// <summary>The key's rate limits (enforced by <see cref="CCApi.Gateway.Limits.ModelAdmission"/>).</summary>
    public KeyLimits Limits { get; init; } = KeyLimits.None;

    /// <summary>The key has a balance (<c>credits_usd</c> not null): its requests reserve credits. Unlimited keys reserve nothing.</summary>
    public bool HasCredits { get; init; }

    /// <summary>403 <c>permission_error</c> / <c>model_not_allowed</c> when this key may not use <paramref name="model"/>.</summary>
    public void EnsureAllowed(ModelEntry model)
    {
        if (Models is { } models && !models.Allows(model.Id))
        {
            throw NotAllowed(model, $"This API key may not use the model '{model.Id}'; it is limited to: {string.Join(", ", models.Patterns)}.", "models");
        }

        if (!AllowUnpriced && IsUnpriced(model.Pricing))
        {
            throw NotAllowed(model, $"The model '{model.Id}' has no price, and this API key does not allow unpriced models.", "allow_unpriced");
        }
    }

    public static bool IsUnpriced(ModelPricing pricing) =>
        pricing.InputPerMillion is null && pricing.OutputPerMillion is null && pricing.PerImage is null && pricing.PerCharacter is null;

    public static ApiCaller From(ApiKeyRecord record) => new(record.Id, record.Name)
    {
        Models = record.Models is { } patterns ? ModelAllowList.FromStored(patterns) : null,
        AllowUnpriced = record.AllowUnpriced,
        Limits = record.Limits,
        HasCredits = record.CreditsNanos is not null,
    };

    private static ApiException NotAllowed(ModelEntry model, string message, string reason) =>
        new(403, ErrorTypes.Permission, GatewayErrorCodes.ModelNotAllowed, message,
            new Dictionary<string, string> { ["model"] = model.Id, ["reason"] = reason });
}

/// <summary>
/// Client API keys: records in Redis (<see cref="ApiKeyRepository"/>), looked up by the SHA-256 of the secret and cached
/// in memory (bounded) so the hot path rarely touches Redis. An <see cref="ApiKeyChanged"/> event evicts a key's entry
/// on every replica (<see cref="Evict"/>); the cache TTL is only a safety net for a lost event. Revoked and expired
/// keys are refused; <c>last_used</c> is written at most once per <see cref="AuthOptions.LastUsedInterval"/> per key
/// and replica, without waiting.
/// </summary>
public sealed class ApiKeyStore(ApiKeyRepository repository, IOptions<AuthOptions> options, TimeProvider time) : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 10_000 });
    private readonly ConcurrentDictionary<string, CachedKey> _entryById = new(StringComparer.Ordinal);
    private readonly AuthOptions _options = options.Value;
    private readonly string? _bootstrapHash = string.IsNullOrEmpty(options.Value.BootstrapApiKey) ? null : Hash(options.Value.BootstrapApiKey);
    private long _evictions;

    public static string Hash(string apiKey) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)));

    /// <summary>"key_" + the first 16 hex characters of the key's hash: the id of a configured (bootstrap) key.</summary>
    public static string KeyIdFor(string hash) => "key_" + hash[..16];

    /// <summary>The caller owning <paramref name="apiKey"/>; 401 when the key is unknown, revoked or expired; 503 without Redis.</summary>
    public async ValueTask<ApiCaller> AuthenticateAsync(string apiKey)
    {
        var hash = Hash(apiKey);
        if (!_cache.TryGetValue(hash, out CachedKey? entry) || entry is null)
        {
            entry = await LoadAsync(hash);
        }

        if (entry.Record is not { } record)
        {
            throw ApiException.Unauthorized();
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (record.Revoked)
        {
            throw new ApiException(401, ErrorTypes.InvalidRequest, ErrorCodes.Unauthorized, "This API key has been revoked.");
        }

        if (record.IsExpired(now))
        {
            throw new ApiException(401, ErrorTypes.InvalidRequest, ErrorCodes.Unauthorized, "This API key has expired.");
        }

        var last = Interlocked.Read(ref entry.LastUsedWritten);
        if (now - last >= (long)_options.LastUsedInterval.TotalSeconds && Interlocked.CompareExchange(ref entry.LastUsedWritten, now, last) == last)
        {
            try
            {
                repository.Touch(record.Id, now);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // last_used is informative; never fail a request over it
            }
        }

        return entry.Caller!;
    }

    /// <summary>Forgets a key on this replica (it is read again from Redis on its next use).</summary>
    public void Evict(string keyId)
    {
        Interlocked.Increment(ref _evictions);
        if (_entryById.TryRemove(keyId, out var entry))
        {
            _cache.Remove(entry.Hash);
        }
    }

    /// <summary>Stores a configured key (hashed) as an unlimited key; returns its id.</summary>
    public async Task<string> StoreAsync(string apiKey, string name)
    {
        var id = await repository.StoreConfiguredAsync(apiKey, name);
        Evict(id);
        return id;
    }

    public void Dispose() => _cache.Dispose();

    private async Task<CachedKey> LoadAsync(string hash)
    {
        // An eviction that lands while Redis is read may concern this very key: then the (possibly stale) answer is
        // used for this request only and not cached.
        var evictions = Interlocked.Read(ref _evictions);
        ApiKeyRecord? record;
        try
        {
            record = await repository.FindBySecretHashAsync(hash);
            if (record is null && hash == _bootstrapHash)
            {
                // The configured key is gone from Redis (restarted empty, flushed): it is configuration, so store it
                // again now rather than answering 401 until this process restarts.
                await repository.StoreConfiguredAsync(_options.BootstrapApiKey!, "bootstrap");
                record = await repository.FindBySecretHashAsync(hash);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new ApiException(503, ErrorTypes.Api, GatewayErrorCodes.ServiceUnavailable, "API keys cannot be verified right now; retry shortly.");
        }

        var entry = new CachedKey(hash, record, record is null ? null : ApiCaller.From(record));
        var ttl = record is null ? _options.NegativeCacheTtl : _options.CacheTtl;
        if (ttl > TimeSpan.Zero && Interlocked.Read(ref _evictions) == evictions)
        {
            if (record is not null)
            {
                _entryById[record.Id] = entry;
            }

            var options = new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = ttl };
            if (record is not null)
            {
                // The cache runs this on the thread pool, possibly after the key was loaded and mapped again: only the
                // mapping to this very entry is removed, never its successor's (which Evict must still find).
                options.RegisterPostEvictionCallback(static (_, value, reason, state) =>
                {
                    if (reason != EvictionReason.Replaced && value is CachedKey { Record: { } evicted } gone)
                    {
                        ((ConcurrentDictionary<string, CachedKey>)state!).TryRemove(new KeyValuePair<string, CachedKey>(evicted.Id, gone));
                    }
                }, _entryById);
            }

            _cache.Set(hash, entry, options);
            if (Interlocked.Read(ref _evictions) != evictions)
            {
                _cache.Remove(hash); // an eviction landed while the entry was being stored
            }
        }

        return entry;
    }

    private sealed class CachedKey(string hash, ApiKeyRecord? record, ApiCaller? caller)
    {
        public string Hash { get; } = hash;
        public ApiKeyRecord? Record { get; } = record;
        public ApiCaller? Caller { get; } = caller;
        public long LastUsedWritten;
    }
}

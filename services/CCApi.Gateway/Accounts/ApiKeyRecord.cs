using System.Globalization;
using System.Text.Json;
using StackExchange.Redis;

namespace CCApi.Gateway.Accounts;

/// <summary>
/// Per-key limits, enforced by <see cref="CCApi.Gateway.Limits.ModelAdmission"/> on the model routes; null = none.
/// <paramref name="AsyncJobs"/> caps the key's unfinished asynchronous jobs (accepted with a 202, not yet at a terminal
/// state): they wait in their provider's queue beside every other key's, so one key's backlog is bounded.
/// </summary>
public sealed record KeyLimits(int? Rpm = null, long? Tpm = null, int? Concurrency = null, int? AsyncJobs = null)
{
    public static readonly KeyLimits None = new();

    /// <summary>No limit at all: such a key (the bootstrap key) costs no rate-limit call in Redis.</summary>
    public bool IsEmpty => Rpm is null && Tpm is null && Concurrency is null && AsyncJobs is null;

    /// <summary>No limit a request holds while it runs (rpm, tpm, concurrency): a synchronous request of such a key costs no rate-limit call.</summary>
    public bool IsEmptyPerRequest => Rpm is null && Tpm is null && Concurrency is null;
}

/// <summary>
/// An API key as stored in <c>RedisKeys.ApiKey(id)</c>: one flat hash (so later Lua scripts read and update single
/// fields), money in nano-dollars. Never holds the secret; the SHA-256 of it is kept only to find the lookup entry.
/// </summary>
public sealed record ApiKeyRecord
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Prefix { get; init; }
    public required long Created { get; init; }
    public long? LastUsed { get; init; }
    public long? ExpiresAt { get; init; }
    public bool Revoked { get; init; }

    /// <summary>Balance in nano-dollars; null = unlimited.</summary>
    public long? CreditsNanos { get; init; }

    public long ReservedNanos { get; init; }
    public long SpentNanos { get; init; }
    public KeyLimits Limits { get; init; } = KeyLimits.None;

    /// <summary>Allowed model patterns; null = every model.</summary>
    public IReadOnlyList<string>? Models { get; init; }

    public bool AllowUnpriced { get; init; } = true;

    public bool IsExpired(long nowUnixSeconds) => ExpiresAt is { } expires && expires <= nowUnixSeconds;

    public HashEntry[] ToHashEntries(string secretHash)
    {
        var entries = new List<HashEntry>
        {
            new(ApiKeyFields.Id, Id),
            new(ApiKeyFields.Name, Name),
            new(ApiKeyFields.Prefix, Prefix),
            new(ApiKeyFields.Hash, secretHash),
            new(ApiKeyFields.Created, Created),
            new(ApiKeyFields.Revoked, Revoked ? 1 : 0),
            new(ApiKeyFields.ReservedNanos, ReservedNanos),
            new(ApiKeyFields.SpentNanos, SpentNanos),
            new(ApiKeyFields.AllowUnpriced, AllowUnpriced ? 1 : 0),
        };
        if (CreditsNanos is { } credits)
        {
            entries.Add(new(ApiKeyFields.CreditsNanos, credits));
        }

        entries.AddRange(ApiKeyFields.Set(this).Where(e => !e.Value.IsNull).Select(e => new HashEntry(e.Field, e.Value)));
        return [.. entries];
    }

    /// <summary>The record in a hash, or null when the hash is empty (no such key).</summary>
    public static ApiKeyRecord? FromHash(HashEntry[] entries)
    {
        if (entries.Length == 0)
        {
            return null;
        }

        var map = new Dictionary<string, RedisValue>(entries.Length, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            map[entry.Name!] = entry.Value;
        }

        if (!map.TryGetValue(ApiKeyFields.Id, out var id) || id.IsNullOrEmpty)
        {
            return null;
        }

        return new ApiKeyRecord
        {
            Id = id!,
            Name = Text(map, ApiKeyFields.Name) ?? "",
            Prefix = Text(map, ApiKeyFields.Prefix) ?? "",
            Created = Long(map, ApiKeyFields.Created) ?? 0,
            LastUsed = Long(map, ApiKeyFields.LastUsed),
            ExpiresAt = Long(map, ApiKeyFields.ExpiresAt),
            Revoked = Long(map, ApiKeyFields.Revoked) == 1,
            CreditsNanos = Long(map, ApiKeyFields.CreditsNanos),
            ReservedNanos = Long(map, ApiKeyFields.ReservedNanos) ?? 0,
            SpentNanos = Long(map, ApiKeyFields.SpentNanos) ?? 0,
            Limits = new KeyLimits((int?)Long(map, ApiKeyFields.Rpm), Long(map, ApiKeyFields.Tpm), (int?)Long(map, ApiKeyFields.Concurrency),
                (int?)Long(map, ApiKeyFields.AsyncJobs)),
            Models = Text(map, ApiKeyFields.Models) is { } models ? JsonSerializer.Deserialize(models, AccountsJsonContext.Default.ListString) : null,
            AllowUnpriced = Long(map, ApiKeyFields.AllowUnpriced) != 0,
        };
    }

    private static string? Text(Dictionary<string, RedisValue> map, string field) =>
        map.TryGetValue(field, out var value) && !value.IsNull ? (string?)value : null;

    private static long? Long(Dictionary<string, RedisValue> map, string field) =>
        Text(map, field) is { } text && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
}

/// <summary>Field names of the key hash, shared with the Lua scripts that will update it.</summary>
public static class ApiKeyFields
{
    public const string Id = "id";
    public const string Name = "name";
    public const string Prefix = "prefix";
    public const string Hash = "hash";
    public const string Created = "created";
    public const string CreatedMs = "created_ms";
    public const string LastUsed = "last_used";
    public const string ExpiresAt = "expires_at";
    public const string Revoked = "revoked";
    public const string RevokedAt = "revoked_at";
    public const string CreditsNanos = "credits_nusd";
    public const string ReservedNanos = "reserved_nusd";
    public const string SpentNanos = "spent_nusd";
    public const string Rpm = "rpm";
    public const string Tpm = "tpm";
    public const string Concurrency = "concurrency";
    public const string AsyncJobs = "async_jobs";
    public const string Models = "models";
    public const string AllowUnpriced = "allow_unpriced";

    /// <summary>The optional fields a PATCH may set or clear: a null value means "remove the field".</summary>
    public static IEnumerable<(string Field, RedisValue Value)> Set(ApiKeyRecord record)
    {
        yield return (ExpiresAt, record.ExpiresAt is { } e ? e : RedisValue.Null);
        yield return (Rpm, record.Limits.Rpm is { } r ? r : RedisValue.Null);
        yield return (Tpm, record.Limits.Tpm is { } t ? t : RedisValue.Null);
        yield return (Concurrency, record.Limits.Concurrency is { } c ? c : RedisValue.Null);
        yield return (AsyncJobs, record.Limits.AsyncJobs is { } a ? a : RedisValue.Null);
        yield return (Models, record.Models is { } m ? JsonSerializer.Serialize(m.ToList(), AccountsJsonContext.Default.ListString) : RedisValue.Null);
    }
}

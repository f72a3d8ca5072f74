using System.Globalization;
using System.Text.Json;
using StackExchange.Redis;

namespace CCApi.Gateway.Accounts;

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
            Limits = new KeyLimits((int?)Long(map, ApiKeyFields.Rpm), Long(map, ApiKeyFields.Tpm), (int?)Long(map, ApiKeyFields.Concurrency)),
            Models = Text(map, ApiKeyFields.Models) is { } models ? JsonSerializer.Deserialize(models, AccountsJsonContext.Default.ListString) : null,
            AllowUnpriced = Long(map, ApiKeyFields.AllowUnpriced) != 0,
        };
    }

    private static string? Text(Dictionary<string, RedisValue> map, string field) =>
        map.TryGetValue(field, out var value) && !value.IsNull ? (string?)value : null;

    private static long? Long(Dictionary<string, RedisValue> map, string field) =>
        Text(map, field) is { } text && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
}

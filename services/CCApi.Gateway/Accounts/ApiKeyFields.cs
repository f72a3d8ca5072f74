using System.Text.Json;
using StackExchange.Redis;

namespace CCApi.Gateway.Accounts;

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
    public const string Models = "models";
    public const string AllowUnpriced = "allow_unpriced";

    /// <summary>The optional fields a PATCH may set or clear: a null value means "remove the field".</summary>
    public static IEnumerable<(string Field, RedisValue Value)> Set(ApiKeyRecord record)
    {
        yield return (ExpiresAt, record.ExpiresAt is { } e ? e : RedisValue.Null);
        yield return (Rpm, record.Limits.Rpm is { } r ? r : RedisValue.Null);
        yield return (Tpm, record.Limits.Tpm is { } t ? t : RedisValue.Null);
        yield return (Concurrency, record.Limits.Concurrency is { } c ? c : RedisValue.Null);
        yield return (Models, record.Models is { } m ? JsonSerializer.Serialize(m.ToList(), AccountsJsonContext.Default.ListString) : RedisValue.Null);
    }
}

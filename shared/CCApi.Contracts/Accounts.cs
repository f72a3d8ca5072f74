namespace CCApi.Contracts;

/// <summary>
/// Event: an API key's record changed (created, updated, revoked, credits). Every gateway replica evicts the key from
/// its in-memory cache, so a revocation takes effect everywhere as soon as the event arrives, not after a cache TTL.
/// </summary>
public sealed record ApiKeyChanged
{
    public required string KeyId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>"created", "updated", "revoked" or "credits".</summary>
    public required string Change { get; init; }
}

namespace CCApi.Contracts;

/// <summary>
/// Event: an API key's cached record changed (updated, revoked). Every gateway replica evicts the key from
/// its in-memory cache, so a revocation takes effect everywhere as soon as the event arrives, not after a cache TTL.
/// </summary>
public sealed record ApiKeyChanged
{
    public required string KeyId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>"updated" or "revoked" (later slices may add their own).</summary>
    public required string Change { get; init; }
}

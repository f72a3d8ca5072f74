namespace CCApi.Contracts;

/// <summary>Event: an adapter is alive and says how its provider is doing. Published periodically.</summary>
public sealed record ProviderHeartbeat
{
    public required string Provider { get; init; }
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>"available", "degraded" or "unavailable".</summary>
    public required string Status { get; init; }

    public string? Detail { get; init; }
    public string? Instance { get; init; }
}

/// <summary>Event: the catalog's content or a provider's status changed; holders of a snapshot refresh it.</summary>
public sealed record CatalogChanged
{
    public required DateTimeOffset Timestamp { get; init; }
    public required string Version { get; init; }
}

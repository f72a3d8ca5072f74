namespace CCApi.Adapters.Hosting;

/// <summary>What the heartbeat says about the provider: "available", "degraded" or "unavailable", and why.</summary>
public readonly record struct ProviderStatus(string Status, string? Detail)
{
    /// <summary>Unavailable outranks degraded outranks available: the heartbeat reports the worst a source knows of.</summary>
    public int Severity => Status switch
    {
        ProviderHealth.Unavailable => 2,
        ProviderHealth.Degraded => 1,
        _ => 0,
    };
}

/// <summary>
/// One thing an adapter's health depends on (the API key, the circuit breaker, a local tool such as espeak-ng).
/// Register each as a singleton <see cref="IProviderStatusSource"/>; <see cref="ProviderHealth"/> reports the worst.
/// </summary>
public interface IProviderStatusSource
{
    /// <summary>What is wrong right now, or null when this source has nothing against the provider.</summary>
    ProviderStatus? Problem();
}

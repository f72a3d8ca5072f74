using Polly.CircuitBreaker;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// The live state of the provider's circuit breaker (fed by the <see cref="UpstreamPipeline"/>): "degraded" while it is
/// open and its break has not run out, or while a probe is in flight — calls fail fast then.
/// </summary>
public sealed class CircuitBreakerState(TimeProvider time) : IProviderStatusSource
{
    private long _openUntilTicks;

    /// <summary>The breaker's state as Polly keeps it.</summary>
    public CircuitBreakerStateProvider Circuit { get; } = new();

    public bool IsOpen => Circuit.CircuitState switch
    {
        CircuitState.Open or CircuitState.Isolated => time.GetUtcNow().UtcTicks < Interlocked.Read(ref _openUntilTicks),
        CircuitState.HalfOpen => true,
        _ => false,
    };

    public DateTimeOffset OpenUntil => new(Interlocked.Read(ref _openUntilTicks), TimeSpan.Zero);

    public ProviderStatus? Problem() => IsOpen
        ? new ProviderStatus(ProviderHealth.Degraded, $"Repeated upstream failures: calls fail fast until {OpenUntil:O}.")
        : null;

    internal void Opened(TimeSpan breakDuration) => Interlocked.Exchange(ref _openUntilTicks, time.GetUtcNow().Add(breakDuration).UtcTicks);

    internal void Closed() => Interlocked.Exchange(ref _openUntilTicks, 0);
}

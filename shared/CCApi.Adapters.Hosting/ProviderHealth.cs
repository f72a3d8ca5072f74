using System.Threading.Channels;
using CCApi.Contracts;
using Polly.CircuitBreaker;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// How the provider is doing, as the heartbeat reports it: "unavailable" without an API key, "degraded" while the
/// circuit breaker is open (calls fail fast), otherwise "available". State changes wake the heartbeat at once.
/// </summary>
public sealed class ProviderHealth(ProviderAdapterOptions options, TimeProvider time)
{
    public const string Available = "available";
    public const string Degraded = "degraded";
    public const string Unavailable = "unavailable";

    private readonly Channel<bool> _changes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private long _openUntilTicks;

    public static readonly string Instance = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>The breaker's live state (fed by the upstream pipeline).</summary>
    public CircuitBreakerStateProvider Circuit { get; } = new();

    public string Provider => options.Provider;

    public bool HasApiKey => options.HasApiKey;

    /// <summary>True while the breaker is open and its break has not run out, or while a probe is in flight.</summary>
    public bool IsCircuitOpen => Circuit.CircuitState switch
    {
        CircuitState.Open or CircuitState.Isolated => time.GetUtcNow().UtcTicks < Interlocked.Read(ref _openUntilTicks),
        CircuitState.HalfOpen => true,
        _ => false,
    };

    public DateTimeOffset OpenUntil => new(Interlocked.Read(ref _openUntilTicks), TimeSpan.Zero);

    public (string Status, string? Detail) Current()
    {
        if (!options.HasApiKey)
        {
            return (Unavailable, $"No API key is configured for provider '{options.Provider}'.");
        }

        return IsCircuitOpen
            ? (Degraded, $"Repeated upstream failures: calls fail fast until {OpenUntil:O}.")
            : (Available, null);
    }

    public ProviderHeartbeat Heartbeat()
    {
        var (status, detail) = Current();
        return new ProviderHeartbeat { Provider = options.Provider, Timestamp = time.GetUtcNow(), Status = status, Detail = detail, Instance = Instance };
    }

    internal void CircuitOpened(TimeSpan breakDuration)
    {
        Interlocked.Exchange(ref _openUntilTicks, time.GetUtcNow().Add(breakDuration).UtcTicks);
        _changes.Writer.TryWrite(true);
    }

    internal void CircuitClosed()
    {
        Interlocked.Exchange(ref _openUntilTicks, 0);
        _changes.Writer.TryWrite(true);
    }

    /// <summary>Completes when the status may have changed (or the token fires).</summary>
    public async Task WaitForChangeAsync(CancellationToken cancellationToken) => await _changes.Reader.ReadAsync(cancellationToken);
}

using System.Threading.Channels;
using CCApi.Contracts;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// How the provider is doing, as the heartbeat reports it: the worst of what its <see cref="IProviderStatusSource"/>s
/// say (an upstream adapter: "unavailable" without an API key, "degraded" while the circuit breaker is open; the local
/// adapter: "degraded" without espeak-ng), otherwise "available". <see cref="Changed"/> wakes the heartbeat at once.
/// </summary>
public sealed class ProviderHealth(AdapterOptions options, IEnumerable<IProviderStatusSource> sources, TimeProvider time)
{
    public const string Available = "available";
    public const string Degraded = "degraded";
    public const string Unavailable = "unavailable";

    public static readonly string Instance = $"{Environment.MachineName}:{Environment.ProcessId}";

    private readonly IProviderStatusSource[] _sources = [.. sources];
    private readonly Channel<bool> _changes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public string Provider => options.Provider;

    public ProviderStatus Current()
    {
        ProviderStatus? worst = null;
        foreach (var source in _sources)
        {
            if (source.Problem() is { } problem && problem.Severity > (worst?.Severity ?? 0))
            {
                worst = problem;
            }
        }

        return worst ?? new ProviderStatus(Available, null);
    }

    public ProviderHeartbeat Heartbeat()
    {
        var (status, detail) = Current();
        return new ProviderHeartbeat { Provider = options.Provider, Timestamp = time.GetUtcNow(), Status = status, Detail = detail, Instance = Instance };
    }

    /// <summary>A source's status may have changed: the heartbeat goes out now rather than at its next interval.</summary>
    public void Changed() => _changes.Writer.TryWrite(true);

    /// <summary>Completes when the status may have changed (or the token fires).</summary>
    public async Task WaitForChangeAsync(CancellationToken cancellationToken) => await _changes.Reader.ReadAsync(cancellationToken);
}

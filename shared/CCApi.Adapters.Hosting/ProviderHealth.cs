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
    private Task<bool>? _pendingChange;

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

    /// <summary>
    /// True as soon as the status may have changed, false once <paramref name="timeout"/> has passed without a change; throws
    /// only when <paramref name="cancellationToken"/> fires. A timeout throws nothing — an idle adapter's heartbeat raised
    /// two OperationCanceledExceptions per interval, which operators see in the runtime's exception counter — and the wait
    /// for a change is kept from one call to the next, so none pile up. One caller at a time (the heartbeat).
    /// </summary>
    public async Task<bool> WaitForChangeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var change = _pendingChange ??= _changes.Reader.WaitToReadAsync(CancellationToken.None).AsTask();
        if (!change.IsCompleted)
        {
            await Task.WhenAny(change, Task.Delay(timeout, time, cancellationToken)).ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (!change.IsCompleted)
        {
            return false;
        }

        _pendingChange = null;
        _changes.Reader.TryRead(out _);
        return true;
    }
}

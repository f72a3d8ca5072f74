using CCApi.Contracts;

namespace CCApi.Catalog;

/// <summary>
/// The catalog as this process knows it: the definition file plus every provider's live status, derived from adapter
/// heartbeats. Writers (heartbeat consumer, expiry timer, definition watcher) take a lock and publish a new immutable
/// <see cref="CatalogSnapshot"/>; readers (HTTP) read the current snapshot without locking.
/// </summary>
/// <remarks>
/// A provider is as good as its best live adapter instance (scaled adapters each send heartbeats); an instance is live
/// until <c>HeartbeatTimeout</c> passes without a heartbeat from it. Right after start, before a provider could have
/// sent its first heartbeat, it is reported "degraded" (unconfirmed) rather than "unavailable", so that restarting the
/// catalog does not make the gateway refuse traffic for a heartbeat period.
/// </remarks>
public sealed class CatalogState
{
    public const string Available = "available";
    public const string Degraded = "degraded";
    public const string Unavailable = "unavailable";

    private readonly Lock _gate = new();
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _startedAt;
    private readonly Dictionary<string, ProviderLiveness> _live = new(StringComparer.Ordinal);
    private CatalogDocument _definition;
    private long _revision;
    private CatalogSnapshot _snapshot;

    public CatalogState(CatalogDocument definition, TimeSpan heartbeatTimeout, TimeProvider time)
    {
        _timeout = heartbeatTimeout;
        _time = time;
        _startedAt = time.GetUtcNow();
        _definition = definition;
        lock (_gate)
        {
            SyncProviders();
            _snapshot = BuildSnapshot();
        }
    }

    public CatalogSnapshot Current => Volatile.Read(ref _snapshot);

    public CatalogChanged ChangedEvent() => new() { Timestamp = _time.GetUtcNow(), Version = Current.Document.Version };

    /// <summary>Records a heartbeat; true when a provider's status changed.</summary>
    public bool ApplyHeartbeat(ProviderHeartbeat heartbeat)
    {
        lock (_gate)
        {
            if (!_live.TryGetValue(heartbeat.Provider, out var live))
            {
                return false; // not in the definition: nothing routes to it
            }

            var now = _time.GetUtcNow();
            var instance = heartbeat.Instance ?? "";
            if (live.Instances.TryGetValue(instance, out var previous) && heartbeat.Timestamp < previous.Timestamp)
            {
                return false; // an older heartbeat delivered late
            }

            live.Instances[instance] = new InstanceBeat(NormalizeStatus(heartbeat.Status), heartbeat.Detail, heartbeat.Timestamp, now);
            live.LastSeen = now;
            return Commit(live.Recompute(now, _timeout, _startedAt));
        }
    }

    /// <summary>Marks providers whose heartbeats stopped as unavailable; true when any status changed.</summary>
    public bool ExpireStale()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var changed = false;
            foreach (var live in _live.Values)
            {
                changed |= live.Recompute(now, _timeout, _startedAt);
            }

            return changed && Commit(true);
        }
    }

    /// <summary>Swaps in a new definition, keeping the live status of providers that remain.</summary>
    public void ReplaceDefinition(CatalogDocument definition)
    {
        lock (_gate)
        {
            _definition = definition;
            SyncProviders();
            var now = _time.GetUtcNow();
            foreach (var live in _live.Values)
            {
                live.Recompute(now, _timeout, _startedAt);
            }

            Commit(true);
        }
    }

    private bool Commit(bool changed)
    {
        if (changed)
        {
            _revision++;
        }

        Volatile.Write(ref _snapshot, BuildSnapshot()); // last_seen moves even when no status does
        return changed;
    }

    private void SyncProviders()
    {
        var names = _definition.Providers.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _live.Keys.Where(k => !names.Contains(k)).ToList())
        {
            _live.Remove(gone);
        }

        var now = _time.GetUtcNow();
        foreach (var name in names.Where(n => !_live.ContainsKey(n)))
        {
            var live = new ProviderLiveness();
            live.Recompute(now, _timeout, _startedAt);
            _live[name] = live;
        }
    }

    private CatalogSnapshot BuildSnapshot() => CatalogSnapshot.Build(new CatalogDocument
    {
        Version = $"{_definition.Version}+{_revision}",
        Providers = _definition.Providers.Select(p =>
        {
            var live = _live[p.Name];
            return p with { Status = live.Status, StatusDetail = live.Detail, LastSeen = live.LastSeen };
        }).ToList(),
        Models = _definition.Models,
    });

    private static string NormalizeStatus(string? status) => status?.ToLowerInvariant() switch
    {
        Available => Available,
        Unavailable => Unavailable,
        _ => Degraded, // alive but saying something we do not know: not fully trusted
    };

    private static int Rank(string status) => status switch
    {
        Available => 0,
        Degraded => 1,
        _ => 2,
    };

    private sealed record InstanceBeat(string Status, string? Detail, DateTimeOffset Timestamp, DateTimeOffset ReceivedAt);

    private sealed class ProviderLiveness
    {
        public Dictionary<string, InstanceBeat> Instances { get; } = new(StringComparer.Ordinal);
        public DateTimeOffset? LastSeen { get; set; }
        public string Status { get; private set; } = "";
        public string? Detail { get; private set; }

        /// <summary>Drops instances that went quiet and derives the provider's status; true when it changed.</summary>
        public bool Recompute(DateTimeOffset now, TimeSpan timeout, DateTimeOffset startedAt)
        {
            foreach (var (id, beat) in Instances.Where(i => now - i.Value.ReceivedAt >= timeout).ToList())
            {
                Instances.Remove(id);
            }

            var best = Instances.Values.OrderBy(b => Rank(b.Status)).ThenByDescending(b => b.ReceivedAt).FirstOrDefault();
            var (status, detail) = best switch
            {
                not null => (best.Status, best.Detail),
                null when LastSeen is not null => (Unavailable, $"No heartbeat from the provider's adapter for {timeout.TotalSeconds:0.#} s."),
                null when now - startedAt < timeout => (Degraded, "Waiting for the first heartbeat from the provider's adapter."),
                null => (Unavailable, "No adapter for this provider has reported."),
            };

            var changed = status != Status;
            Status = status;
            Detail = detail;
            return changed;
        }
    }
}

using System.Diagnostics.Metrics;
using CCApi.ServiceDefaults;
using static CCApi.ServiceDefaults.TelemetryAttributes;

namespace CCApi.Catalog;

/// <summary>
/// <c>ccapi.provider.status</c>: an observable gauge read at each collection from the live catalog — for every provider,
/// 1 on the series of its current status and 0 on the other two, so "which providers are down" is a plain filter.
/// </summary>
public static class ProviderStatusMetric
{
    private static readonly string[] States = [CatalogState.Available, CatalogState.Degraded, CatalogState.Unavailable];
    private static CatalogState? s_catalog;

    private static readonly ObservableGauge<int> Gauge = CcapiTelemetry.Meter.CreateObservableGauge(
        "ccapi.provider.status", () => s_catalog is { } catalog ? Measurements(catalog) : [], "1",
        "Provider status from heartbeats: 1 for the current status, 0 for the others");

    /// <summary>Reports this catalog's providers (one catalog per process; the last one registered wins).</summary>
    public static void Watch(CatalogState catalog)
    {
        _ = Gauge;
        Volatile.Write(ref s_catalog, catalog);
    }

    public static IEnumerable<Measurement<int>> Measurements(CatalogState catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        foreach (var provider in catalog.Current.Document.Providers)
        {
            foreach (var state in States)
            {
                yield return new Measurement<int>(provider.Status == state ? 1 : 0,
                    new KeyValuePair<string, object?>(ProviderName, provider.Name),
                    new KeyValuePair<string, object?>(ProviderStatus, state));
            }
        }
    }
}

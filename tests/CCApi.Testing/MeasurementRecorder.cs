using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace CCApi.Testing;

/// <summary>One measurement of a platform instrument, with its attributes.</summary>
public sealed record Measured(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)
{
    public string? Tag(string key) => Tags.TryGetValue(key, out var value) ? value as string : null;
}

/// <summary>
/// Records every measurement on the platform's meter ("CCApi") while alive. The listener is process-wide: filter by an
/// attribute the test controls, since other tests may measure at the same time.
/// </summary>
public sealed class MeasurementRecorder : IDisposable
{
    private readonly ConcurrentQueue<Measured> _measurements = new();
    private readonly MeterListener _listener = new();

    public MeasurementRecorder(string meter = "CCApi")
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meter)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        _listener.SetMeasurementEventCallback<int>((i, v, t, _) => Record(i, v, t));
        _listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        _listener.Start();
    }

    public IReadOnlyList<Measured> Of(string instrument) => _measurements.Where(m => m.Instrument == instrument).ToList();

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var dictionary = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            dictionary[tag.Key] = tag.Value;
        }

        _measurements.Enqueue(new Measured(instrument.Name, value, dictionary));
    }
}

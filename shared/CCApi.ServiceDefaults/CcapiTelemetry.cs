using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CCApi.ServiceDefaults;

/// <summary>The platform's own ActivitySource and Meter; every CCAPI span and metric comes from these.</summary>
public static class CcapiTelemetry
{
    public const string SourceName = "CCApi";
    public static readonly ActivitySource Source = new(SourceName);
    public static readonly Meter Meter = new(SourceName);

    public static readonly Counter<long> Tokens = Meter.CreateCounter<long>("ccapi.tokens", "{token}", "Tokens processed");
    public static readonly Counter<long> Images = Meter.CreateCounter<long>("ccapi.images", "{image}", "Images generated");
    public static readonly Counter<long> Characters = Meter.CreateCounter<long>("ccapi.characters", "{character}", "Characters synthesized");
    public static readonly Counter<double> Cost = Meter.CreateCounter<double>("ccapi.cost", "USD", "Cost at catalog prices");
    public static readonly Histogram<double> ProviderDuration = Meter.CreateHistogram<double>("ccapi.provider.duration", "s", "Time spent in the provider");
    public static readonly Histogram<double> QueueWait = Meter.CreateHistogram<double>("ccapi.queue.wait", "s", "Time a command waited in its queue");
}

using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CCApi.ServiceDefaults;

/// <summary>
/// The platform's own ActivitySource and Meter; every CCAPI span and metric comes from these. The <c>gen_ai.*</c>
/// instruments follow the OpenTelemetry GenAI semantic conventions (development status), including the bucket
/// boundaries they recommend (given as instrument advice, which the SDK applies); the <c>ccapi.*</c> ones are ours.
/// </summary>
public static class CcapiTelemetry
{
    public const string SourceName = "CCApi";

    /// <summary>
    /// The name of <see cref="Cost"/>, the one instrument with API keys among its attributes. A constant, because metric
    /// views run while this class's instruments are being created, i.e. inside its static initializer, where
    /// <see cref="Cost"/> itself may still be null.
    /// </summary>
    public const string CostName = "ccapi.cost";
    public static readonly ActivitySource Source = new(SourceName);
    public static readonly Meter Meter = new(SourceName);

    /// <summary>Seconds, doubling from 10 ms to 82 s: the semantic conventions' boundaries for GenAI durations.</summary>
    private static readonly double[] GenAiDurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

    /// <summary>Powers of four from 1 to 67M: the semantic conventions' boundaries for token counts.</summary>
    private static readonly long[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    /// <summary>The semantic conventions' boundaries for time to first token, 1 ms to 10 s.</summary>
    private static readonly double[] FirstTokenBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

    /// <summary>Ours: the platform's budget is about a millisecond (design §6), so the fine end starts at 100 µs.</summary>
    private static readonly double[] OverheadBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0015, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    /// <summary>Ours: from a millisecond (an idle adapter) to minutes (a backlog).</summary>
    private static readonly double[] QueueWaitBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    // GenAI semantic conventions: client side (adapters, one per provider call).
    public static readonly Histogram<long> ClientTokenUsage = Meter.CreateHistogram(
        "gen_ai.client.token.usage", "{token}", "Number of input and output tokens used.",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });

    public static readonly Histogram<double> ClientOperationDuration = Seconds(
        "gen_ai.client.operation.duration", "GenAI operation duration.", GenAiDurationBuckets);

    // GenAI semantic conventions: server side (the gateway, per model request).
    public static readonly Histogram<double> ServerRequestDuration = Seconds(
        "gen_ai.server.request.duration", "Generative AI server request duration such as time-to-last byte or last output token.", GenAiDurationBuckets);

    public static readonly Histogram<double> ServerTimeToFirstToken = Seconds(
        "gen_ai.server.time_to_first_token", "Time to generate first token for successful responses.", FirstTokenBuckets);

    // The platform's own.
    public static readonly Histogram<double> GatewayOverhead = Seconds(
        "ccapi.gateway.overhead", "Gateway request time minus the time the adapter spent on the provider call.", OverheadBuckets);

    public static readonly Histogram<double> QueueWait = Seconds(
        "ccapi.queue.wait", "Time a command waited between the gateway sending it and an adapter consuming it.", QueueWaitBuckets);

    public static readonly Counter<long> Tokens = Meter.CreateCounter<long>("ccapi.tokens", "{token}", "Tokens processed");
    public static readonly Counter<long> Images = Meter.CreateCounter<long>("ccapi.images", "{image}", "Images generated");
    public static readonly Counter<long> Characters = Meter.CreateCounter<long>("ccapi.characters", "{character}", "Characters synthesized");
    public static readonly Counter<double> Cost = Meter.CreateCounter<double>(CostName, "USD", "Cost at catalog prices, by provider, model and API key id");
    public static readonly Counter<long> Jobs = Meter.CreateCounter<long>("ccapi.jobs", "{job}", "Jobs entering a state");

    /// <summary>A duration histogram in seconds with its bucket boundaries as advice (declared above its uses: static fields initialize in order).</summary>
    private static Histogram<double> Seconds(string name, string description, double[] buckets) =>
        Meter.CreateHistogram(name, "s", description, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });
}

/// <summary>Attribute names shared by spans and metrics (OpenTelemetry GenAI semantic conventions, and ours).</summary>
public static class TelemetryAttributes
{
    public const string OperationName = "gen_ai.operation.name";
    public const string ProviderName = "gen_ai.provider.name";
    public const string RequestModel = "gen_ai.request.model";
    public const string ResponseModel = "gen_ai.response.model";
    public const string TokenType = "gen_ai.token.type";
    public const string ErrorType = "error.type";
    public const string KeyId = "ccapi.key.id";
    public const string JobState = "ccapi.job.state";
    public const string ProviderStatus = "ccapi.provider.status";

    /// <summary>The <c>gen_ai.operation.name</c> of chat completions.</summary>
    public const string Chat = "chat";

    /// <summary>The <c>gen_ai.operation.name</c> of image and speech generation: the conventions' multimodal "generate content".</summary>
    public const string GenerateContent = "generate_content";
}

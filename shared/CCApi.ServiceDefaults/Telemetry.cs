using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace CCApi.ServiceDefaults;

public sealed class TelemetryOptions
{
    public const string SectionName = "Telemetry";

    /// <summary>service.name when OTEL_SERVICE_NAME is not set; defaults to the application name.</summary>
    public string? ServiceName { get; set; }

    /// <summary>When set, every finished span is appended to this file as one JSON line (for local debugging, tests and the bench).</summary>
    public string? SpanFile { get; set; }

    /// <summary>Serve the Prometheus scrape endpoint (<see cref="MetricsPath"/>). On by default; off removes the exporter entirely.</summary>
    public bool PrometheusEnabled { get; set; } = true;

    /// <summary>Path of the Prometheus scrape endpoint.</summary>
    public string MetricsPath { get; set; } = "/metrics";

    /// <summary>
    /// When set, the scrape endpoint answers only on connections to this local port (the service must also listen on
    /// it, e.g. <c>ASPNETCORE_URLS=http://+:8080;http://+:9464</c>) and is a 404 on every other: a management port that
    /// an Ingress routing the API port never reaches. Null (the default): every port the service listens on.
    /// </summary>
    public int? MetricsPort { get; set; }

    /// <summary>
    /// The most attribute combinations one metric stream keeps (further ones are counted under
    /// <c>otel.metric.overflow=true</c>). The SDK allocates every stream's points up front, 72 bytes each: at its default
    /// of 2000 the ~80 streams of a service (HTTP, Kestrel, runtime, MassTransit, ours) held 12 MiB of heap that never
    /// filled. 500 is above what any of those streams reaches (routes × methods × statuses, message types × endpoints).
    /// </summary>
    public int MetricCardinalityLimit { get; set; } = 500;

    /// <summary>The same for the streams with an API key among their attributes (<c>ccapi.cost</c>: keys × models).</summary>
    public int KeyMetricCardinalityLimit { get; set; } = 2000;
}

/// <summary>
/// OpenTelemetry through OpenTelemetry.Extensions.Hosting: the official ASP.NET Core, HttpClient and runtime
/// instrumentation, MassTransit's and the platform's own sources and meters, OTLP export driven by the standard
/// <c>OTEL_*</c> variables, and a Prometheus scrape endpoint. Export is asynchronous and bounded (batching span and log
/// processors, a periodic metric reader), so an unreachable collector never slows a request; a malformed
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> turns OTLP export off with a warning instead of stopping the service.
/// </summary>
internal static class TelemetryRegistration
{
    /// <summary>MassTransit's ActivitySource and Meter (<c>DiagnosticHeaders.DefaultListenerName</c>).</summary>
    private const string MassTransitSource = "MassTransit";

    public static void AddCcapiTelemetry(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new TelemetryOptions();
        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : options.ServiceName ?? builder.Environment.ApplicationName;
        var otlp = OtlpEndpoint(builder.Configuration, out var otlpProblem);
        foreach (var (setting, limit) in (ReadOnlySpan<(string, int)>)[
                     (nameof(TelemetryOptions.MetricCardinalityLimit), options.MetricCardinalityLimit),
                     (nameof(TelemetryOptions.KeyMetricCardinalityLimit), options.KeyMetricCardinalityLimit)])
        {
            if (limit < 1)
            {
                throw new InvalidOperationException($"{TelemetryOptions.SectionName}:{setting} must be at least 1 (it is {limit}).");
            }
        }

        // Console logs carry the trace and span ids, whatever the exporters.
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);

        var telemetry = builder.Services.AddOpenTelemetry()
            // CreateDefault (applied first by the hosting package) already reads OTEL_RESOURCE_ATTRIBUTES.
            .ConfigureResource(r => r.AddService(serviceName, serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId))
            .WithTracing(tracing =>
            {
                // The sampler comes from OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (parent-based always-on by default).
                tracing
                    .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsInfrastructurePath(context.Request.Path, options))
                    .AddHttpClientInstrumentation()
                    .AddSource(CcapiTelemetry.SourceName, MassTransitSource);
                if (!string.IsNullOrWhiteSpace(options.SpanFile))
                {
                    tracing.AddProcessor(new SimpleActivityExportProcessor(new JsonLinesSpanExporter(options.SpanFile, serviceName)));
                }
                else if (otlp is null && string.IsNullOrWhiteSpace(builder.Configuration["OTEL_TRACES_SAMPLER"]))
                {
                    // Nothing exports a span: record none (no tags, events or timings filled in per request — measurable
                    // CPU on every hop), yet every span still exists for propagation, so trace ids keep flowing through
                    // the bus to the adapters and JobStatus and into every log line. An exporter brings full recording back.
                    tracing.SetSampler(new AlwaysOffSampler());
                }
            })
            .WithMetrics(metrics =>
            {
                metrics
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddMeter(CcapiTelemetry.SourceName, MassTransitSource)
                    // One view for every instrument (two matching views would make two streams): only the limit changes;
                    // names, descriptions and the instruments' advised histogram boundaries stay as they are.
                    .AddView(instrument => StreamConfiguration(instrument, options));
                if (options.PrometheusEnabled)
                {
                    metrics.AddPrometheusExporter();
                }
            })
            .WithLogging(configureBuilder: null, configureOptions: o =>
            {
                o.IncludeScopes = true;
                o.IncludeFormattedMessage = true;
            });

        if (otlp is not null)
        {
            // Endpoint, protocol, headers, timeouts and batch sizes all come from the OTEL_EXPORTER_OTLP_* variables.
            telemetry.UseOtlpExporter();
        }

        if (otlpProblem is not null)
        {
            builder.Services.AddHostedService(sp => new StartupWarning(sp.GetRequiredService<ILoggerFactory>(), otlpProblem));
        }
    }

    /// <summary>
    /// Every instrument's stream: only the cardinality limit changes. The SDK calls this synchronously while an instrument
    /// is created, also from <see cref="CcapiTelemetry"/>'s static initializer, so it must read no static field of a class
    /// that creates instruments: an exception here makes the SDK fall back to its default stream (2,000 points, 144 KB
    /// allocated up front) without a word, which is what comparing with <c>CcapiTelemetry.Cost.Name</c> did to the ten
    /// instruments declared before <c>Cost</c>.
    /// </summary>
    private static MetricStreamConfiguration StreamConfiguration(Instrument instrument, TelemetryOptions options) => new()
    {
        CardinalityLimit = instrument.Name == CcapiTelemetry.CostName ? options.KeyMetricCardinalityLimit : options.MetricCardinalityLimit,
    };

    /// <summary>
    /// The OTLP endpoint if one is configured and every OTLP setting the exporter would throw on is usable; otherwise
    /// null, with the reason in <paramref name="problem"/> (reported once at start, never thrown).
    /// </summary>
    private static Uri? OtlpEndpoint(IConfiguration configuration, out string? problem)
    {
        problem = null;
        var value = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (!IsHttpUrl(value))
        {
            problem = $"OTEL_EXPORTER_OTLP_ENDPOINT is not an absolute http(s) URL ('{value}'); OTLP export is off.";
            return null;
        }

        foreach (var signal in (string[])["", "TRACES_", "METRICS_", "LOGS_"])
        {
            var endpoint = configuration[$"OTEL_EXPORTER_OTLP_{signal}ENDPOINT"];
            if (signal.Length > 0 && !string.IsNullOrWhiteSpace(endpoint) && !IsHttpUrl(endpoint))
            {
                problem = $"OTEL_EXPORTER_OTLP_{signal}ENDPOINT is not an absolute http(s) URL; OTLP export is off.";
                return null;
            }

            // The exporter throws on a header without '=' when it first exports; values are never echoed (they hold secrets).
            var headers = configuration[$"OTEL_EXPORTER_OTLP_{signal}HEADERS"];
            if (!string.IsNullOrWhiteSpace(headers) && headers.Split(',').Any(h => h.IndexOf('=', StringComparison.Ordinal) <= 0 || h.AsSpan(0, h.IndexOf('=', StringComparison.Ordinal)).IsWhiteSpace()))
            {
                problem = $"OTEL_EXPORTER_OTLP_{signal}HEADERS is not a comma-separated list of key=value pairs; OTLP export is off.";
                return null;
            }
        }

        return new Uri(value.Trim());
    }

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && !string.IsNullOrEmpty(uri.Host);

    private static bool IsInfrastructurePath(PathString path, TelemetryOptions options) =>
        path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments(options.MetricsPath, StringComparison.OrdinalIgnoreCase);

    /// <summary>The Prometheus scrape endpoint, when enabled; on <see cref="TelemetryOptions.MetricsPort"/> alone when that is set.</summary>
    public static WebApplication MapMetricsEndpoint(this WebApplication app)
    {
        var options = app.Configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new TelemetryOptions();
        if (!options.PrometheusEnabled)
        {
            return app;
        }

        var endpoint = app.MapPrometheusScrapingEndpoint(options.MetricsPath);
        if (options.MetricsPort is { } port)
        {
            if (port is < 1 or > 65535)
            {
                throw new InvalidOperationException($"Telemetry:MetricsPort must be a port from 1 to 65535, not {port}.");
            }

            // The port the connection reached, not the Host header's (RequireHost), which names whatever a client likes.
            endpoint.Add(builder =>
            {
                var scrape = builder.RequestDelegate!;
                builder.RequestDelegate = context =>
                {
                    if (context.Connection.LocalPort == port)
                    {
                        return scrape(context);
                    }

                    context.Response.StatusCode = StatusCodes.Status404NotFound; // the CCAPI 404 body comes from the status code pages
                    return Task.CompletedTask;
                };
            });
        }

        return app;
    }

    private sealed class StartupWarning(ILoggerFactory loggers, string message) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
#pragma warning disable CA2254 // a fixed message built from configuration, logged once at start
            loggers.CreateLogger("CCApi.Telemetry").LogWarning(message);
#pragma warning restore CA2254
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>Writes each finished span as one JSON line: a collector-free way to see traces locally, and how tests assert on them.</summary>
public sealed class JsonLinesSpanExporter(string path, string serviceName) : BaseExporter<Activity>
{
    private readonly Lock _gate = new();

    public override ExportResult Export(in Batch<Activity> batch)
    {
        var sb = new StringBuilder();
        foreach (var activity in batch)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("service", serviceName);
                w.WriteString("name", activity.DisplayName);
                w.WriteString("source", activity.Source.Name);
                w.WriteString("kind", activity.Kind.ToString());
                w.WriteString("trace_id", activity.TraceId.ToHexString());
                w.WriteString("span_id", activity.SpanId.ToHexString());
                w.WriteString("parent_span_id", activity.ParentSpanId == default ? "" : activity.ParentSpanId.ToHexString());
                w.WriteString("start", activity.StartTimeUtc.ToString("O", CultureInfo.InvariantCulture));
                w.WriteNumber("duration_ms", activity.Duration.TotalMilliseconds);
                w.WriteString("status", activity.Status.ToString());
                w.WriteStartObject("tags");
                foreach (var tag in activity.TagObjects)
                {
                    if (tag.Value is Array array and not byte[])
                    {
                        // Array attributes (e.g. gen_ai.response.finish_reasons) as JSON arrays of strings.
                        w.WriteStartArray(tag.Key);
                        foreach (var item in array)
                        {
                            w.WriteStringValue(Convert.ToString(item, CultureInfo.InvariantCulture));
                        }

                        w.WriteEndArray();
                    }
                    else
                    {
                        w.WriteString(tag.Key, Convert.ToString(tag.Value, CultureInfo.InvariantCulture));
                    }
                }

                w.WriteEndObject();
                w.WriteEndObject();
            }

            sb.Append(Encoding.UTF8.GetString(buffer.ToArray())).Append('\n');
        }

        lock (_gate)
        {
            File.AppendAllText(path, sb.ToString());
        }

        return ExportResult.Success;
    }
}

using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

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

public sealed class TelemetryOptions
{
    public const string SectionName = "Telemetry";

    /// <summary>service.name; defaults to the application name.</summary>
    public string? ServiceName { get; set; }

    /// <summary>OTLP endpoint; also read from OTEL_EXPORTER_OTLP_ENDPOINT. Empty = no OTLP export.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>When set, every finished span is appended to this file as one JSON line (for local debugging and tests).</summary>
    public string? SpanFile { get; set; }
}

internal static class TelemetryRegistration
{
    public static void AddCcapiTelemetry(this IHostApplicationBuilder builder)
    {
        // ASP.NET Core 10 leaves its server span without OTel tags unless this switch is off.
        AppContext.SetSwitch("Microsoft.AspNetCore.Hosting.SuppressActivityOpenTelemetryData", false);

        var options = builder.Configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new TelemetryOptions();
        var serviceName = options.ServiceName ?? builder.Environment.ApplicationName;
        var otlp = options.OtlpEndpoint ?? builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var resource = ResourceBuilder.CreateDefault().AddService(serviceName, serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId);

        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        if (!string.IsNullOrWhiteSpace(otlp))
        {
            builder.Logging.AddOpenTelemetry(o =>
            {
                o.SetResourceBuilder(resource);
                o.IncludeScopes = true;
                o.AddOtlpExporter(e => e.Endpoint = OtlpUri(otlp, "logs"));
            });
        }

        builder.Services.AddSingleton(_ =>
        {
            var tracing = Sdk.CreateTracerProviderBuilder()
                .SetResourceBuilder(resource)
                .AddSource(CcapiTelemetry.SourceName, "Microsoft.AspNetCore", "System.Net.Http", "MassTransit");
            if (!string.IsNullOrWhiteSpace(otlp))
            {
                tracing.AddOtlpExporter(e => e.Endpoint = OtlpUri(otlp, "traces"));
            }

            if (!string.IsNullOrWhiteSpace(options.SpanFile))
            {
                tracing.AddProcessor(new SimpleActivityExportProcessor(new JsonLinesSpanExporter(options.SpanFile, serviceName)));
            }

            return tracing.Build()!;
        });
        builder.Services.AddSingleton(_ =>
        {
            var metrics = Sdk.CreateMeterProviderBuilder()
                .SetResourceBuilder(resource)
                .AddMeter(CcapiTelemetry.SourceName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel",
                    "System.Net.Http", "System.Runtime", "MassTransit");
            if (!string.IsNullOrWhiteSpace(otlp))
            {
                metrics.AddOtlpExporter((e, r) =>
                {
                    e.Endpoint = OtlpUri(otlp, "metrics");
                    r.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 15_000;
                });
            }

            return metrics.Build()!;
        });

        // Creates the providers before anything else starts (the bus included); the container disposes, and so
        // flushes, them on shutdown.
        builder.Services.Insert(0, ServiceDescriptor.Singleton<IHostedService, TelemetryStarter>());
    }

    private static Uri OtlpUri(string endpoint, string signal)
    {
        // The gRPC default (4317) takes the bare endpoint; http/protobuf takes /v1/{signal}.
        var protocol = Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL");
        var baseUri = endpoint.TrimEnd('/');
        return protocol == "http/protobuf" ? new Uri($"{baseUri}/v1/{signal}") : new Uri(baseUri);
    }

    /// <summary>Tags the ASP.NET Core server span with the matched route once routing has run.</summary>
    public static IApplicationBuilder UseRouteTagging(this IApplicationBuilder app) =>
        app.Use(static (context, next) =>
        {
            if (Activity.Current is { } activity && context.GetEndpoint() is RouteEndpoint route)
            {
                activity.SetTag("http.route", route.RoutePattern.RawText);
                activity.DisplayName = $"{context.Request.Method} {route.RoutePattern.RawText}";
            }

            return next(context);
        });
}

internal sealed class TelemetryStarter(TracerProvider tracerProvider, MeterProvider meterProvider) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        GC.KeepAlive(tracerProvider);
        GC.KeepAlive(meterProvider);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        tracerProvider.ForceFlush(2000);
        meterProvider.ForceFlush(2000);
        return Task.CompletedTask;
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
                    w.WriteString(tag.Key, Convert.ToString(tag.Value, CultureInfo.InvariantCulture));
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

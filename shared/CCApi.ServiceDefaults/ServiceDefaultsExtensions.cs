using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CCApi.ServiceDefaults;

public static class ServiceDefaultsExtensions
{
    /// <summary>
    /// OpenTelemetry, health checks, the JSON conventions of the public API, the CCAPI error handler, the periodic
    /// return of freed native memory and, once the service goes quiet, of the GC's unused memory.
    /// </summary>
    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        builder.AddCcapiTelemetry();
        builder.Services.AddHealthChecks();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<CcapiExceptionHandler>();
        builder.Services.Configure<KestrelServerOptions>(KestrelErrorBodies.Configure); // errors Kestrel answers itself get the error object too
        builder.Services.Configure<JsonOptions>(o => ConfigureJson(o.SerializerOptions));
        builder.AddNativeMemoryTrim();
        builder.AddIdleHeapRelease();

        // The hosted services start side by side: the bus connecting (awaited by Messaging's BusStartupGate), the gateway's
        // first catalog load, its bootstrap key write and the like wait on different servers, and readiness needs all of
        // them — one after another they added up. The HTTP server is one of them, so it may listen before the bus is
        // connected: requests sent in that window wait for MassTransit's connection and are answered
        // (bench/results/2026-12-06-session24-startup.md), and /health/ready says ready only once everything is.
        // They stop in reverse order, as before.
        builder.Services.Configure<HostOptions>(o => o.ServicesStartConcurrently = true);
        return builder;
    }

    /// <summary>snake_case, nulls omitted, enums as snake_case strings: the wire format of every CCAPI body.</summary>
    public static void ConfigureJson(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping; // \" not \u0022, as OpenAI writes
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
    }

    /// <summary>Error handling first, then routing (HEAD as GET on GET routes); call before mapping endpoints.</summary>
    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        app.UseCcapiErrors();
        app.UseHeadAsGet();
        app.UseRouting();
        app.UseNoHeadOnEventStreams();
        return app;
    }
}

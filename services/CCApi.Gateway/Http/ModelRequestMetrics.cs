using System.Diagnostics;
using System.Globalization;
using CCApi.Gateway.OperatorConsole;
using static CCApi.ServiceDefaults.TelemetryAttributes;

namespace CCApi.Gateway.Http;

/// <summary>
/// The model request an API call became, measured from the moment the request reached the gateway to the moment its
/// response was complete: <c>gen_ai.server.request.duration</c> (every synchronous and streamed model request, with
/// <c>error.type</c> = the HTTP status when it failed), <c>gen_ai.server.time_to_first_token</c> (streams) and
/// <c>ccapi.gateway.overhead</c> (synchronous successes: total minus the provider time the adapter reported in the
/// result). Asynchronous image jobs answer 202 at once and are not model requests in this sense. The model attribute is
/// the public model id the client asked for (e.g. <c>openai/gpt-4o-mini</c>); with failover the last candidate counts.
/// Every POST under /v1 is also counted for the operator console (<see cref="TrafficStatistics"/>), refused ones included.
/// </summary>
public sealed class ModelRequestMetrics(TrafficStatistics? traffic = null)
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private JobRoute? _route;
    private JobKind _kind;
    private bool _async;
    private bool _streamed;
    private bool _firstToken;
    private TimeSpan? _providerDuration;

    /// <summary>Measures every request under <c>/v1</c> that turns into a model request.</summary>
    public static IApplicationBuilder UseModelRequestMetrics(IApplicationBuilder app)
    {
        var traffic = app.ApplicationServices.GetService<TrafficStatistics>();
        return app.Use((context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase))
            {
                var metrics = new ModelRequestMetrics(HttpMethods.IsPost(context.Request.Method) ? traffic : null);
                context.Features.Set(metrics);
                context.Response.OnCompleted(static state =>
                {
                    var (m, http) = ((ModelRequestMetrics, HttpContext))state;
                    return m.Completed(http.Response.StatusCode);
                }, (metrics, context));
            }

            return next(context);
        });
    }

    /// <summary>The request is (now) for this model; <paramref name="async"/> when the client is answered before the job ends.</summary>
    public void Attempt(JobRoute route, JobKind kind, bool async, bool streamed)
    {
        _route = route;
        _kind = kind;
        _async = async;
        _streamed = streamed;
        _providerDuration = null;
    }

    /// <summary>The adapter's answer arrived; it says how long the provider took.</summary>
    public void Answered(object response)
    {
        if (response is IJobResult result)
        {
            _providerDuration = result.ProviderDuration;
        }
    }

    /// <summary>A stream's first content reached the client.</summary>
    public void FirstToken()
    {
        if (_firstToken || _route is null)
        {
            return;
        }

        _firstToken = true;
        CcapiTelemetry.ServerTimeToFirstToken.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, Tags(_route, _kind));
    }

    /// <summary>Records the finished request; public for tests.</summary>
    public Task Completed(int status)
    {
        if (_route is null || _async)
        {
            traffic?.Record(status, latency: null, overhead: null);
            return Task.CompletedTask;
        }

        var elapsed = Stopwatch.GetElapsedTime(_started);
        TimeSpan? overhead = status < 400 && !_streamed && _providerDuration is { } measured ? elapsed - measured : null;
        traffic?.Record(status, elapsed, overhead is { } o && o < TimeSpan.Zero ? TimeSpan.Zero : overhead);
        var tags = Tags(_route, _kind);
        if (status >= 400)
        {
            var failed = tags;
            failed.Add(ErrorType, status.ToString(CultureInfo.InvariantCulture));
            CcapiTelemetry.ServerRequestDuration.Record(elapsed.TotalSeconds, failed);
            return Task.CompletedTask;
        }

        CcapiTelemetry.ServerRequestDuration.Record(elapsed.TotalSeconds, tags);
        if (!_streamed && _providerDuration is { } provider)
        {
            CcapiTelemetry.GatewayOverhead.Record(Math.Max(0, (elapsed - provider).TotalSeconds), tags);
        }

        return Task.CompletedTask;
    }

    private static TagList Tags(JobRoute route, JobKind kind) => new()
    {
        { OperationName, kind == JobKind.Chat ? Chat : GenerateContent },
        { ProviderName, route.Provider },
        { RequestModel, route.Model },
    };
}

public static class ModelRequestMetricsExtensions
{
    /// <summary>The model request being measured for this HTTP request, if any.</summary>
    public static ModelRequestMetrics? ModelRequestMetrics(this HttpContext? context) => context?.Features.Get<ModelRequestMetrics>();

    /// <inheritdoc cref="Http.ModelRequestMetrics.UseModelRequestMetrics"/>
    public static WebApplication UseModelRequestMetrics(this WebApplication app)
    {
        Http.ModelRequestMetrics.UseModelRequestMetrics(app);
        return app;
    }
}

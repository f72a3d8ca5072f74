using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;

namespace CCApi.ServiceDefaults;

/// <summary>
/// HEAD on every GET route (RFC 9110: a general-purpose server supports GET and HEAD; minimal APIs map neither
/// implicitly): the request is routed and handled as the GET it stands for, and Kestrel, which still knows the request
/// was HEAD, sends that GET's status and headers (Content-Type, Content-Length, ETag, …) without the body. Monitors and
/// <c>curl -I</c> get what a GET would answer instead of 405; the OpenAPI document still lists GET alone.
/// <para>
/// An event stream (a route that produces <c>text/event-stream</c>) answers HEAD 405 with <c>Allow: GET</c>: its GET
/// holds the connection until the job or the stream ends, which a HEAD must not.
/// </para>
/// </summary>
public static class HeadRequests
{
    /// <summary>Before routing: a HEAD request is routed as GET, and reads as HEAD again once the response is written.</summary>
    public static WebApplication UseHeadAsGet(this WebApplication app)
    {
        app.Use(static async (context, next) =>
        {
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await next(context);
                return;
            }

            context.Request.Method = HttpMethods.Get;
            context.Items[Marker] = Marker;
            try
            {
                await next(context);
            }
            finally
            {
                context.Request.Method = HttpMethods.Head; // logs, metrics and error messages name what the client sent
            }
        });
        return app;
    }

    /// <summary>After routing: a HEAD routed to an event stream is refused rather than held open.</summary>
    public static WebApplication UseNoHeadOnEventStreams(this WebApplication app)
    {
        app.Use(static (context, next) =>
        {
            if (context.Items.ContainsKey(Marker) && context.GetEndpoint() is { } endpoint && IsEventStream(endpoint))
            {
                context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                context.Response.Headers.Allow = HttpMethods.Get;
                return Task.CompletedTask;
            }

            return next(context);
        });
        return app;
    }

    private static readonly object Marker = new();

    private static bool IsEventStream(Endpoint endpoint)
    {
        foreach (var produces in endpoint.Metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>())
        {
            foreach (var contentType in produces.ContentTypes)
            {
                if (contentType.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}

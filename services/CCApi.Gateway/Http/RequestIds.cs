using System.Diagnostics;

namespace CCApi.Gateway.Http;

/// <summary>
/// <c>x-request-id</c> on every response, as OpenAI's API sends it (the SDKs expose it as the response's request id and
/// put it in their error messages): <c>req_</c> and the request's trace id, so the id a product team reports is the
/// trace an operator opens. A request without a trace gets a random id in the same shape.
/// </summary>
public static class RequestIds
{
    public const string Header = "x-request-id";

    public static WebApplication UseRequestIds(this WebApplication app)
    {
        app.Use(static (context, next) =>
        {
            var id = Of(Activity.Current);
            // Set as the response starts: an error handler that clears the response's headers does not lose it.
            context.Response.OnStarting(static state =>
            {
                var (http, value) = ((HttpContext, string))state;
                http.Response.Headers[Header] = value;
                return Task.CompletedTask;
            }, (context, id));
            return next(context);
        });
        return app;
    }

    /// <summary><c>req_</c> + the activity's trace id (32 hex digits), or a random one without an activity.</summary>
    public static string Of(Activity? activity) =>
        "req_" + (activity is { IdFormat: ActivityIdFormat.W3C } ? activity.TraceId.ToHexString() : Guid.NewGuid().ToString("N"));
}

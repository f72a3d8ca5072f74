using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CCApi.ServiceDefaults;

/// <summary>
/// The one exception-to-error-response handler of every service: known failures become their CCAPI error,
/// malformed input a 400, a library's failure that one of the registered <see cref="IApiErrorMapping"/>s knows (e.g. a
/// storage outage: 503) that error, anything unexpected a 500 <c>api_error</c> whose message leaks nothing internal.
/// </summary>
public sealed partial class CcapiExceptionHandler(ILogger<CcapiExceptionHandler> logger, IEnumerable<IApiErrorMapping> mappings) : IExceptionHandler
{
    private readonly IApiErrorMapping[] _mappings = [.. mappings];

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var error = exception switch
        {
            ApiException api => api,
            BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge =>
                new ApiException(413, ErrorTypes.InvalidRequest, ErrorCodes.PayloadTooLarge, "The request body is too large."),
            BadHttpRequestException bad => ApiException.UnreadableBody(bad), // a framing error, a body cut short or stalled: 400 naming body
            JsonException json => InvalidJson(json),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested => null,
            _ => Map(exception),
        };

        if (error is { Status: >= 500 } && exception is not ApiException && !httpContext.RequestAborted.IsCancellationRequested)
        {
            LogMapped(logger, exception, httpContext.Request.Path, error.Status); // an outage an operator should see
        }

        if (error is null)
        {
            if (httpContext.RequestAborted.IsCancellationRequested)
            {
                return true; // the client is gone; nobody to answer
            }

            LogUnhandled(logger, exception, httpContext.Request.Path);
            error = new ApiException(500, ErrorTypes.Api, ErrorCodes.InternalError, "The server failed to process the request.");
        }

        await WriteAsync(httpContext, error, cancellationToken);
        return true;
    }

    public static async Task WriteAsync(HttpContext context, ApiException error, CancellationToken cancellationToken = default)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.Clear();
        context.Response.StatusCode = error.Status;
        if (error.Status is 429 or 503 && error.Details?.TryGetValue("retry_after", out var retry) == true)
        {
            context.Response.Headers.RetryAfter = retry;
        }

        if (error.Status == 401)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer"; // RFC 9110: a 401 names the scheme it wants
        }

        if (error.ShouldRetryValue is { } shouldRetry)
        {
            context.Response.Headers[ApiException.ShouldRetryHeader] = shouldRetry;
        }

        await context.Response.WriteAsJsonAsync(error.ToResponse(), ErrorJsonContext.Relaxed.ErrorResponse, contentType: "application/json", cancellationToken);
    }

    /// <summary>The first registered mapping's error for <paramref name="exception"/>, or null when none knows it.</summary>
    private ApiException? Map(Exception exception)
    {
        foreach (var mapping in _mappings)
        {
            if (mapping.Map(exception) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    /// <summary>400 for unreadable JSON, naming where it broke ("body" when it is not valid JSON at all).</summary>
    public static ApiException InvalidJson(JsonException json)
    {
        var field = JsonPathToField(json.Path);
        return ApiException.BadField(field, $"Invalid JSON in '{field}': {json.Message}", ErrorCodes.InvalidJson);
    }

    /// <summary>"$.messages[0].content" → "messages[0].content".</summary>
    public static string JsonPathToField(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "body" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception for {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path} answered {Status}: a dependency failed")]
    private static partial void LogMapped(ILogger logger, Exception exception, string path, int status);
}

/// <summary>
/// Turns the exceptions one library throws into the CCAPI error they mean (null: not one of them), for the failures every
/// route could meet and no route should have to catch itself — e.g. a storage connection timing out is a 503
/// <c>service_unavailable</c>, not a 500. Registered by the code that brings the library in
/// (<c>services.TryAddEnumerable(ServiceDescriptor.Singleton&lt;IApiErrorMapping, T&gt;())</c>); consulted by
/// <see cref="CcapiExceptionHandler"/> for any exception it does not know itself.
/// </summary>
public interface IApiErrorMapping
{
    ApiException? Map(Exception exception);
}

public static class ErrorHandlingExtensions
{
    /// <summary>Exception handler plus CCAPI bodies for bare status codes (404 for unknown routes, 405, …).</summary>
    public static WebApplication UseCcapiErrors(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            var status = http.Response.StatusCode;
            var error = status switch
            {
                404 => ApiException.NotFound($"No route for {http.Request.Method} {http.Request.Path}."),
                405 => new ApiException(405, ErrorTypes.InvalidRequest, ErrorCodes.MethodNotAllowed, $"{http.Request.Method} is not allowed on {http.Request.Path}."),
                415 => new ApiException(415, ErrorTypes.InvalidRequest, ErrorCodes.UnsupportedMediaType, "Content-Type must be application/json."),
                401 => ApiException.Unauthorized(),
                _ => new ApiException(status, status >= 500 ? ErrorTypes.Api : ErrorTypes.InvalidRequest, null, $"HTTP {status}."),
            };
            if (status == 401)
            {
                http.Response.Headers.WWWAuthenticate = "Bearer";
            }

            await http.Response.WriteAsJsonAsync(error.ToResponse(), ErrorJsonContext.Relaxed.ErrorResponse, contentType: "application/json");
        });
        return app;
    }
}

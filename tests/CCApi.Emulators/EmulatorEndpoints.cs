using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CCApi.Emulators;

/// <summary>
/// What every provider's endpoints do the same way: read a JSON object body, and answer a queued
/// <see cref="EmulatorFailure"/>. Only the bodies differ (each provider's own error shape), so those are passed in.
/// </summary>
internal static class EmulatorEndpoints
{
    /// <summary>The request body as a JSON object; null when it is not JSON or not an object.</summary>
    public static JsonObject? ParseObject(string text)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Writes a body as a provider that sends it while it is made: four pieces, each flushed; after the first, waits for
    /// <paramref name="hold"/> (when set) — a body a test can watch arrive while the provider provably holds the rest.
    /// </summary>
    public static async Task WriteInPiecesAsync(HttpContext http, byte[] body, TaskCompletionSource? hold)
    {
        var first = true;
        foreach (var piece in Pieces(body))
        {
            await http.Response.Body.WriteAsync(piece);
            await http.Response.Body.FlushAsync();
            if (first && hold is not null)
            {
                await hold.Task.WaitAsync(http.RequestAborted);
            }

            first = false;
        }
    }

    /// <summary>A body in the four pieces a progressive answer sends (the last may be shorter).</summary>
    public static byte[][] Pieces(byte[] body) => [.. body.Chunk(Math.Max(1, (body.Length + 3) / 4))];

    /// <summary>
    /// Answers <paramref name="failure"/>; true when it answered the request (or cut it). Slow waits, then lets the request
    /// answer normally unless the client gave up. RateLimited sets Retry-After before <paramref name="rateLimited"/>
    /// writes the 429. Malformed is a 200 whose body <paramref name="malformed"/> writes. DropMidStream cuts the
    /// connection — after a 200 and the part of a body <paramref name="partial"/> writes, when there is one.
    /// </summary>
    public static async Task<bool> AnswerFailureAsync(
        HttpContext http,
        EmulatorFailure? failure,
        Func<Task> rateLimited,
        Func<Task> serverError,
        Func<Task> malformed,
        Func<Task>? partial = null)
    {
        switch (failure?.Mode)
        {
            case FailureMode.Slow:
                await Task.Delay(failure.Delay, http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return http.RequestAborted.IsCancellationRequested;
            case FailureMode.RateLimited:
                http.Response.Headers.RetryAfter = failure.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                await rateLimited();
                return true;
            case FailureMode.ServerError:
                await serverError();
                return true;
            case FailureMode.Malformed:
                http.Response.StatusCode = 200;
                await malformed();
                return true;
            case FailureMode.DropMidStream:
                if (partial is not null)
                {
                    http.Response.StatusCode = 200;
                    await partial();
                    await http.Response.Body.FlushAsync();
                    await Task.Delay(50);
                }

                http.Abort();
                return true;
            default:
                return false;
        }
    }
}

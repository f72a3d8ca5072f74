using System.Collections.Concurrent;
using CCApi.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CCApi.JobStatus.Tests;

/// <summary>A real HTTP server on 127.0.0.1 that records webhook deliveries and answers a scripted reply per attempt.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Reply[]> _scripts = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Delivery>> _deliveries = new();

    private WebhookReceiver(WebApplication app, int port)
    {
        _app = app;
        BaseUrl = $"http://127.0.0.1:{port}";
        app.MapPost("/hooks/{name}", async (string name, HttpRequest request, HttpResponse response) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            var queue = _deliveries.GetOrAdd(name, _ => new ConcurrentQueue<Delivery>());
            var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            queue.Enqueue(new Delivery(body, headers));
            var script = _scripts.GetValueOrDefault(name) ?? [new Reply(200)];
            var reply = script[Math.Min(queue.Count, script.Length) - 1];
            if (reply.Delay is { } delay)
            {
                await Task.Delay(delay, request.HttpContext.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            if (reply.RetryAfter is { } retryAfter)
            {
                response.Headers.RetryAfter = retryAfter;
            }

            if (reply.Location is { } location)
            {
                response.Headers.Location = location;
            }

            return Results.StatusCode(reply.Status);
        });
    }

    public string BaseUrl { get; }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var port = TestInfrastructure.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var receiver = new WebhookReceiver(builder.Build(), port);
        await receiver._app.StartAsync();
        return receiver;
    }

    /// <summary>A fresh hook URL answering the given statuses in turn (the last one repeats).</summary>
    public string Hook(params int[] statuses) => Hook(statuses.Select(s => new Reply(s)).ToArray());

    /// <summary>A fresh hook URL giving the given replies in turn (the last one repeats).</summary>
    public string Hook(params Reply[] replies)
    {
        var name = Guid.NewGuid().ToString("N");
        _scripts[name] = replies.Length == 0 ? [new Reply(200)] : replies;
        return $"{BaseUrl}/hooks/{name}";
    }

    public IReadOnlyList<Delivery> DeliveriesTo(string hookUrl) =>
        _deliveries.TryGetValue(hookUrl[(hookUrl.LastIndexOf('/') + 1)..], out var queue) ? queue.ToArray() : [];

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    public sealed record Delivery(string Body, IReadOnlyDictionary<string, string> Headers);

    /// <summary>One scripted answer: a status, and optionally Retry-After (seconds or a date) and Location headers, after a delay.</summary>
    public sealed record Reply(int Status, string? RetryAfter = null, string? Location = null, TimeSpan? Delay = null);
}

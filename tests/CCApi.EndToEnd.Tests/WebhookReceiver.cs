using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CCApi.EndToEnd.Tests;

/// <summary>
/// A loopback HTTP server on a free port that records every webhook POSTed to <see cref="Url"/>, body and headers, in
/// the order they arrive; the platform allows private networks in these tests, so it delivers there.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<(string Body, HeaderDictionary Headers)> _received = Channel.CreateUnbounded<(string Body, HeaderDictionary Headers)>();

    private WebhookReceiver(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var port = TestInfrastructure.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, $"http://127.0.0.1:{port}/hook");
        app.MapPost("/hook", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var headers = new HeaderDictionary();
            foreach (var (name, value) in request.Headers)
            {
                headers[name] = value;
            }

            await receiver._received.Writer.WriteAsync((await reader.ReadToEndAsync(), headers));
            return Results.Ok();
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>The next webhook that arrived, waiting 30 s at most.</summary>
    public Task<(string Body, HeaderDictionary Headers)> NextAsync() => _received.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>The deprecated X-CCAPI-Signature header ("t=…,v1=…") is the HMAC-SHA256 of "t.body" under <paramref name="secret"/>.</summary>
    public static void ShouldCarryTheCcapiSignature(string body, HeaderDictionary headers, string secret)
    {
        var parts = headers["X-CCAPI-Signature"].ToString().Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        parts["v1"].ShouldBe(Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{parts["t"]}.{body}"))));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

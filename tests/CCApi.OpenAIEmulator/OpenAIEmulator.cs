using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CCApi.OpenAIEmulator;

public enum FailureMode
{
    /// <summary>Wait <see cref="EmulatorFailure.Delay"/>, then answer normally.</summary>
    Slow,

    /// <summary>429 rate_limit_exceeded with a Retry-After header.</summary>
    RateLimited,

    /// <summary>500 server_error.</summary>
    ServerError,

    /// <summary>200 with a body that is not the documented JSON (or SSE chunk).</summary>
    Malformed,

    /// <summary>Streams: some chunks, then the connection is cut. Non-streaming: the connection is cut before any answer.</summary>
    DropMidStream,
}

public sealed record EmulatorFailure(FailureMode Mode, TimeSpan Delay, int RetryAfterSeconds);

/// <summary>One request the emulator received (after its failure, if any, was applied).</summary>
public sealed record RecordedRequest(string Path, string? Authorization, string Body, FailureMode? Failure);

/// <summary>
/// OpenAI's documented wire protocol on a free loopback port: POST /v1/chat/completions (JSON, or SSE
/// "data: {chunk}\n\n" … "data: [DONE]\n\n"), POST /v1/images/generations, POST /v1/audio/speech. Checks
/// "Authorization: Bearer &lt;key&gt;", validates request shapes and answers errors as
/// <c>{"error":{"message","type","param","code"}}</c>. Failure modes are queued per request with <see cref="Fail"/>.
/// </summary>
public sealed class OpenAIEmulator : IAsyncDisposable
{
    public const string DefaultApiKey = "sk-emulator-0123456789";

    private readonly WebApplication _app;
    private readonly object _gate = new();
    private EmulatorFailure? _failure;
    private int _failuresLeft;

    private OpenAIEmulator(WebApplication app, string origin, string apiKey)
    {
        _app = app;
        Origin = origin;
        ApiKey = apiKey;
    }

    /// <summary>http://127.0.0.1:port</summary>
    public string Origin { get; }

    /// <summary>The OpenAI-style base URL, ending in /v1.</summary>
    public string BaseUrl => Origin + "/v1";

    public string ApiKey { get; }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Answer image generations with URLs whatever was asked (as some OpenAI-compatible servers do).</summary>
    public bool AnswerImagesWithUrls { get; set; }

    public int Count(string path) => Requests.Count(r => r.Path == path);

    /// <summary>The next <paramref name="times"/> requests (any endpoint) fail this way.</summary>
    public void Fail(FailureMode mode, int times = int.MaxValue, TimeSpan? delay = null, int retryAfterSeconds = 1)
    {
        lock (_gate)
        {
            _failure = new EmulatorFailure(mode, delay ?? TimeSpan.FromSeconds(5), retryAfterSeconds);
            _failuresLeft = times;
        }
    }

    /// <summary>No more failures; forget recorded requests.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _failure = null;
            _failuresLeft = 0;
        }

        AnswerImagesWithUrls = false;
        Requests.Clear();
    }

    internal EmulatorFailure? TakeFailure()
    {
        lock (_gate)
        {
            if (_failure is null || _failuresLeft <= 0)
            {
                return null;
            }

            _failuresLeft--;
            return _failure;
        }
    }

    public static async Task<OpenAIEmulator> StartAsync(string apiKey = DefaultApiKey)
    {
        var origin = $"http://127.0.0.1:{FreePort()}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(origin);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var emulator = new OpenAIEmulator(app, origin, apiKey);
        var endpoints = new EmulatorEndpoints(emulator);
        app.MapPost("/v1/chat/completions", endpoints.ChatAsync);
        app.MapPost("/v1/images/generations", endpoints.ImagesAsync);
        app.MapPost("/v1/audio/speech", endpoints.SpeechAsync);
        app.MapGet("/files/{name}", EmulatorEndpoints.File);
        await app.StartAsync();
        return emulator;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

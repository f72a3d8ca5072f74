using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CCApi.Emulators;

public enum FailureMode
{
    /// <summary>Wait <see cref="EmulatorFailure.Delay"/>, then answer normally.</summary>
    Slow,

    /// <summary>429 in the provider's error shape, with a Retry-After header.</summary>
    RateLimited,

    /// <summary>500 in the provider's error shape.</summary>
    ServerError,

    /// <summary>200 with a body that is not the documented JSON (or stream framing).</summary>
    Malformed,

    /// <summary>Streams: part of the body, then the connection is cut. Otherwise: cut before any answer.</summary>
    DropMidStream,
}

/// <summary>A queued failure; with <paramref name="Match"/> it applies only to requests whose body contains that text.</summary>
public sealed record EmulatorFailure(FailureMode Mode, TimeSpan Delay, int RetryAfterSeconds, string? Match = null);

/// <summary>One request the emulator received (after its failure, if any, was applied).</summary>
public sealed record RecordedRequest(string Path, string? Authorization, string Body, FailureMode? Failure);

/// <summary>
/// What every provider emulator shares: a Kestrel server on loopback (a free port unless one is given), the API key it
/// accepts, the requests it received, and failure modes queued for the next N requests — from a test with
/// <see cref="Fail"/>, or over HTTP with <c>POST /_emulator/failures {"mode","times","delay_ms","retry_after","match"}</c>
/// (<c>DELETE</c> clears) when it runs as a process. A failure with a match is taken only by requests whose body contains
/// it: a test that marks its prompt is then not robbed of its failure by a request another test left in flight (a
/// redelivery, a retry, a breaker's probe). Each provider maps its own documented endpoints.
/// </summary>
public abstract class Emulator : IAsyncDisposable
{
    private readonly object _gate = new();
    private WebApplication? _app;
    private EmulatorFailure? _failure;
    private int _failuresLeft;

    protected Emulator(string apiKey) => ApiKey = apiKey;

    /// <summary>http://127.0.0.1:port</summary>
    public string Origin { get; private set; } = "";

    /// <summary>The base URL an adapter is configured with (the provider's path prefix included, if it has one).</summary>
    public abstract string BaseUrl { get; }

    public string ApiKey { get; }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public int Count(string path) => Requests.Count(r => r.Path == path);

    /// <summary>
    /// The next <paramref name="times"/> requests (any endpoint) fail this way; with <paramref name="match"/>, only the next
    /// ones whose body contains it (requests whose body the endpoint does not read as text never match).
    /// </summary>
    public void Fail(FailureMode mode, int times = int.MaxValue, TimeSpan? delay = null, int retryAfterSeconds = 1, string? match = null)
    {
        lock (_gate)
        {
            _failure = new EmulatorFailure(mode, delay ?? TimeSpan.FromSeconds(5), retryAfterSeconds, string.IsNullOrEmpty(match) ? null : match);
            _failuresLeft = times;
        }
    }

    /// <summary>No more failures; forget recorded requests.</summary>
    public virtual void Reset()
    {
        lock (_gate)
        {
            _failure = null;
            _failuresLeft = 0;
        }

        Requests.Clear();
    }

    /// <summary>
    /// The failure the current request (its body as text, when the endpoint read it so) suffers, if one is queued for it
    /// (each call that gets one uses one up).
    /// </summary>
    public EmulatorFailure? TakeFailure(string? body = null)
    {
        lock (_gate)
        {
            if (_failure is null || _failuresLeft <= 0
                || (_failure.Match is { } match && (body is null || !body.Contains(match, StringComparison.Ordinal))))
            {
                return null;
            }

            _failuresLeft--;
            return _failure;
        }
    }

    /// <summary>The provider's documented routes.</summary>
    protected abstract void MapEndpoints(WebApplication app);

    /// <summary>Starts <paramref name="emulator"/> on 127.0.0.1:<paramref name="port"/> (0 = a free port).</summary>
    public static async Task<T> StartAsync<T>(T emulator, int port = 0)
        where T : Emulator
    {
        ArgumentNullException.ThrowIfNull(emulator);
        emulator.Origin = $"http://127.0.0.1:{(port == 0 ? LoopbackPorts.Claim() : port)}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(emulator.Origin);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/_emulator/failures", (Delegate)emulator.SetFailureAsync);
        app.MapDelete("/_emulator/failures", () =>
        {
            emulator.Reset();
            return Results.NoContent();
        });
        emulator.MapEndpoints(app);
        await app.StartAsync();
        emulator._app = app;
        return emulator;
    }

    /// <summary>Completes when the process is asked to stop (Ctrl-C, SIGTERM).</summary>
    public Task WaitForShutdownAsync() => _app?.WaitForShutdownAsync() ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Waits a Slow failure out; true when the failure was Slow (the request then answers normally).</summary>
    public static async Task<bool> WaitIfSlowAsync(EmulatorFailure? failure, CancellationToken cancellationToken)
    {
        if (failure is { Mode: FailureMode.Slow })
        {
            await Task.Delay(failure.Delay, cancellationToken);
            return true;
        }

        return false;
    }

    private async Task<IResult> SetFailureAsync(HttpContext http)
    {
        FailureRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<FailureRequest>(http.Request.Body, SnakeCase, http.RequestAborted);
        }
        catch (JsonException)
        {
            request = null;
        }

        if (request is null || !Enum.TryParse<FailureMode>(request.Mode, ignoreCase: true, out var mode))
        {
            return Results.BadRequest(new { error = $"mode must be one of {string.Join(", ", Enum.GetNames<FailureMode>())}" });
        }

        Fail(mode, request.Times ?? int.MaxValue, request.DelayMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null, request.RetryAfter ?? 1, request.Match);
        return Results.NoContent();
    }

    private static readonly JsonSerializerOptions SnakeCase = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private sealed record FailureRequest(string? Mode, int? Times, int? DelayMs, int? RetryAfter, string? Match);
}

using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CCApi.Gateway.Tests.Fixtures;

/// <summary>
/// Stands in for the Catalog and JobStatus services' internal HTTP APIs on a free port: GET /catalog (deploy/catalog.json
/// with live statuses the tests control), GET /models, /models/{id}, /providers[/{name}] (canned bodies, recording the query), and
/// GET /jobs/{id} (a job store the fake JobStatus consumer and fake async adapter write into).
/// </summary>
public sealed class StubInternalServices : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Snake = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, string> _statuses = new(StringComparer.Ordinal);
    private int _version;

    private StubInternalServices(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public ConcurrentDictionary<Guid, JsonObject> Jobs { get; } = new();

    /// <summary>GET /jobs/{id}/events serves these (entry id, view) after the Last-Event-ID it gets, a heartbeat after the first.</summary>
    public ConcurrentDictionary<Guid, List<(string Id, JsonObject View)>> JobEvents { get; } = new();

    /// <summary>The Last-Event-ID header each GET /jobs/{id}/events came with ("" when none).</summary>
    public ConcurrentDictionary<Guid, string> LastEventIds { get; } = new();

    public string? LastModelsQuery { get; private set; }

    /// <summary>The query of the last GET /providers or /providers/{name} relayed here.</summary>
    public string? LastProvidersQuery { get; private set; }

    /// <summary>POST /jobs/{id}/webhook/redeliver calls received, by job.</summary>
    public ConcurrentDictionary<Guid, int> Redeliveries { get; } = new();

    /// <summary>Jobs whose redelivery JobStatus refuses with 409 and this code.</summary>
    public ConcurrentDictionary<Guid, string> RedeliverRefusals { get; } = new();

    public bool CatalogDown { get; set; }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CCApi.Platform.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Repository root not found.");
    }

    public static async Task<StubInternalServices> StartAsync()
    {
        var port = TestInfrastructure.FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(baseUrl);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var stub = new StubInternalServices(app, baseUrl);
        stub.Map(app);
        await app.StartAsync();
        return stub;
    }

    /// <summary>Sets a provider's live status; the catalog version changes with it.</summary>
    public void SetStatus(string provider, string status)
    {
        _statuses[provider] = status;
        Interlocked.Increment(ref _version);
    }

    public string Status(string provider) => _statuses.GetValueOrDefault(provider, "available");

    /// <summary>Gives a model a shutdown date (and a replacement) in the served catalog, or takes it back (null); the version changes with it.</summary>
    public void SetShutdown(string model, DateOnly? day, string? replacement = null)
    {
        if (day is null)
        {
            _shutdowns.TryRemove(model, out _);
        }
        else
        {
            _shutdowns[model] = (day.Value, replacement);
        }

        Interlocked.Increment(ref _version);
    }

    private readonly ConcurrentDictionary<string, (DateOnly Day, string? Replacement)> _shutdowns = new(StringComparer.Ordinal);

    private void Map(WebApplication app)
    {
        app.MapGet("/catalog", () => CatalogDown ? Results.StatusCode(503) : Results.Text(CatalogJson(), "application/json"));
        app.MapGet("/models", (HttpRequest request) =>
        {
            LastModelsQuery = request.QueryString.Value;
            if (request.Query.ContainsKey("limit") && !int.TryParse(request.Query["limit"], out _))
            {
                return Results.Text("""{"error":{"message":"'limit' must be an integer.","type":"invalid_request_error","code":"invalid_request","details":{"param":"limit"}}}""",
                    "application/json", statusCode: 400);
            }

            return Results.Text("""{"object":"list","data":[{"id":"local/echo-1","object":"model","created":1763683200,"owned_by":"ccapi"}]}""", "application/json");
        });
        app.MapGet("/models/{**id}", (string id) => Uri.UnescapeDataString(id) == "local/echo-1"
            ? Results.Text("""{"id":"local/echo-1","object":"model","created":1763683200,"owned_by":"ccapi","provider":{"name":"local"},"ccapi":{"type":"chat"}}""", "application/json")
            : Results.Text("""{"error":{"message":"No model.","type":"invalid_request_error","code":"model_not_found"}}""", "application/json", statusCode: 404));
        app.MapGet("/providers", (HttpRequest request) =>
        {
            LastProvidersQuery = request.QueryString.Value;
            return Results.Text("""{"object":"list","data":[{"name":"local","display_name":"Local","is_fundamental":true}]}""", "application/json");
        });
        app.MapGet("/providers/{name}", (string name, HttpRequest request) =>
        {
            LastProvidersQuery = request.QueryString.Value;
            return name == "local"
                ? Results.Text("""{"name":"local","display_name":"Local","is_fundamental":true,"models":[]}""", "application/json")
                : Results.Text("""{"error":{"message":"No provider.","type":"invalid_request_error","code":"not_found"}}""", "application/json", statusCode: 404);
        });
        app.MapGet("/jobs/{id:guid}", (Guid id) => Jobs.TryGetValue(id, out var job)
            ? Results.Text(job.ToJsonString(), "application/json")
            : Results.NotFound());
        app.MapGet("/jobs/{id:guid}/events", async (Guid id, HttpContext http) =>
        {
            if (!JobEvents.TryGetValue(id, out var events))
            {
                http.Response.StatusCode = 404;
                return;
            }

            var after = http.Request.Headers["Last-Event-ID"].ToString();
            LastEventIds[id] = after;
            http.Response.ContentType = "text/event-stream";
            var start = after.Length == 0 ? 0 : events.FindIndex(e => e.Id == after) + 1;
            for (var i = start; i < events.Count; i++)
            {
                await http.Response.WriteAsync($"id: {events[i].Id}\nevent: status\ndata: {events[i].View.ToJsonString()}\n\n");
                if (i == start)
                {
                    await http.Response.WriteAsync("event: heartbeat\ndata: {}\n\n");
                }
            }
        });
        app.MapPost("/jobs/{id:guid}/cancel", (Guid id) =>
        {
            if (!Jobs.TryGetValue(id, out var job))
            {
                return Results.NotFound();
            }

            if ((string?)job["state"] is "completed" or "failed" or "canceled")
            {
                return Results.Text(job.ToJsonString(), "application/json", statusCode: 409);
            }

            job["state"] = "canceled";
            job["error"] = new JsonObject { ["message"] = "The job was canceled by the client.", ["type"] = "invalid_request_error", ["code"] = "canceled", ["status"] = 499 };
            return Results.Text(job.ToJsonString(), "application/json");
        });
        app.MapPost("/jobs/{id:guid}/webhook/redeliver", (Guid id, HttpResponse response) =>
        {
            Redeliveries.AddOrUpdate(id, 1, (_, n) => n + 1);
            if (!Jobs.TryGetValue(id, out var job))
            {
                return Results.Text("""{"error":{"message":"No job.","type":"invalid_request_error","code":"not_found"}}""", "application/json", statusCode: 404);
            }

            if (RedeliverRefusals.TryGetValue(id, out var code))
            {
                if (code == "webhook_delivery_in_progress")
                {
                    response.Headers["x-should-retry"] = "true"; // as JobStatus says of a refusal that clears by itself
                }

                return Results.Text("""{"error":{"message":"Refused.","type":"invalid_request_error","code":"CODE"}}""".Replace("CODE", code, StringComparison.Ordinal), "application/json", statusCode: 409);
            }

            job["webhook"] = new JsonObject { ["status"] = "pending", ["attempts"] = 0 };
            return Results.Text(job.ToJsonString(), "application/json", statusCode: 202);
        });
    }

    private string CatalogJson()
    {
        var root = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoRoot(), "deploy", "catalog.json")))!;
        root["version"] = $"test-{Volatile.Read(ref _version)}";
        foreach (var provider in root["providers"]!.AsArray())
        {
            var name = provider!["name"]!.GetValue<string>();
            provider["status"] = Status(name);
        }

        foreach (var model in root["models"]!.AsArray())
        {
            if (_shutdowns.TryGetValue(model!["id"]!.GetValue<string>(), out var shutdown))
            {
                model["shutdown_date"] = shutdown.Day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
                model["replacement"] = shutdown.Replacement;
            }
        }

        return root.ToJsonString();
    }

    /// <summary>A JobView as JobStatus would serve it (snake_case).</summary>
    public static JsonObject JobView(object view) => JsonSerializer.SerializeToNode(view, Snake)!.AsObject();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

using System.Net.Http.Headers;
using System.Security.Cryptography;
using CCApi.Outbound;

namespace CCApi.Fuzz.Tests;

/// <summary>
/// The real processes a client reaches — Catalog, JobStatus, the local adapter and the Gateway, as test.sh built them —
/// on test.sh's RabbitMQ (virtual host ccapi-test-fuzz) and Redis. No other provider's adapter runs, so their models
/// are the "provider with no live adapter" case. The processes' output is kept, for the tests that read the logs.
/// </summary>
public class FuzzPlatform : IAsyncLifetime
{
    private readonly List<ServiceProcess> _processes = [];
    private readonly Dictionary<string, Dictionary<string, string>> _environments = [];

    public string ApiKey { get; } = "sk-ccapi-fuzz-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    public string AdminKey { get; } = "ccapi-admin-fuzz-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    public string SigningKey { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
    public string WebhookSecret { get; } = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    public int GatewayPort { get; } = TestInfrastructure.FreePort();
    public string Origin => $"http://127.0.0.1:{GatewayPort}";
    public string RepoRoot => TestInfrastructure.RepoRoot;

    public IReadOnlyList<ServiceProcess> Processes => _processes;

    public ServiceProcess Gateway => _processes.Single(p => p.Name == "CCApi.Gateway");

    /// <summary>Every secret a service was given: none may appear in any log line.</summary>
    public IReadOnlyList<string> Secrets => [ApiKey, AdminKey, SigningKey, WebhookSecret];

    /// <summary>The broker every service joins: test.sh's (virtual host ccapi-test-fuzz) unless a subclass brings its own.</summary>
    protected virtual string RabbitMqAddress => TestInfrastructure.RabbitMq("fuzz");

    /// <summary>The Redis every service uses: test.sh's unless a subclass brings its own.</summary>
    public virtual string RedisAddress => TestInfrastructure.Redis;

    /// <summary>A subclass's own settings for <paramref name="service"/>, applied over this class's.</summary>
    protected virtual void Configure(string service, Dictionary<string, string> environment)
    {
    }

    public virtual async Task InitializeAsync()
    {
        var catalogPort = TestInfrastructure.FreePort();
        var jobStatusPort = TestInfrastructure.FreePort();
        Dictionary<string, string> Common() => new()
        {
            ["ConnectionStrings__RabbitMq"] = RabbitMqAddress,
            ["ConnectionStrings__Redis"] = RedisAddress,
        };

        Start("CCApi.Catalog", catalogPort, new(Common())
        {
            ["Catalog__DefinitionPath"] = Path.Combine(RepoRoot, "deploy", "catalog.json"),
            // The catalog stays in its first heartbeat period ("degraded": it cannot know yet) for the whole run, so a
            // 503 for a provider without an adapter can only come from the gateway asking RabbitMQ.
            ["Catalog__HeartbeatTimeout"] = "00:10:00",
        });
        Start("CCApi.JobStatus", jobStatusPort, new(Common())
        {
            ["BlobUrls__SigningKey"] = SigningKey,
            ["BlobUrls__PublicBaseUrl"] = Origin,
            ["Webhooks__Secret"] = WebhookSecret,
        });
        Start("CCApi.Adapters.Local", TestInfrastructure.FreePort(), new(Common())
        {
            ["LocalAdapter__AsyncStepDelay"] = "00:00:00.150", // async jobs long enough to be in flight when the adapter is killed
            ["LocalAdapter__ImageConcurrencyLimit"] = "8",
        });
        await WaitReadyAsync(_processes[0]);
        Start("CCApi.Gateway", GatewayPort, new(Common())
        {
            ["Services__CatalogUrl"] = $"http://127.0.0.1:{catalogPort}",
            ["Services__JobStatusUrl"] = $"http://127.0.0.1:{jobStatusPort}",
            ["BlobUrls__SigningKey"] = SigningKey,
            ["BlobUrls__PublicBaseUrl"] = Origin,
            ["Auth__BootstrapApiKey"] = ApiKey,
            ["Auth__AdminApiKey"] = AdminKey,
            ["Webhooks__Secret"] = WebhookSecret, // webhook_url is refused without one
            ["Auth__CacheTtl"] = "00:00:01", // the Redis test sees a lookup soon after the records are gone
            ["Messaging__RequestTimeout"] = "00:01:00", // a request that waits for a missing adapter would hang the test, not pass
        });

        foreach (var process in _processes)
        {
            await WaitReadyAsync(process);
        }
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Stop();
        }

        await Task.WhenAll(_processes.Select(p => p.WaitForExitAsync(TimeSpan.FromSeconds(30))));
        foreach (var process in AllProcesses)
        {
            process.Dispose();
        }
    }

    /// <summary>An HttpClient on the gateway with <paramref name="apiKey"/> (default: the bootstrap key) as bearer.</summary>
    public HttpClient CreateClient(string? apiKey = null, TimeSpan? timeout = null)
    {
        var client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 64,
            RequestHeaderEncodingSelector = (_, _) => System.Text.Encoding.UTF8, // non-ASCII header values go out as raw bytes
        }) { BaseAddress = new Uri(Origin), Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey ?? ApiKey);
        return client;
    }

    /// <summary>SIGKILLs <paramref name="name"/> (no graceful stop: what a crash or an OOM kill does) and starts it again, ready.</summary>
    public async Task KillAndRestartAsync(string name)
    {
        await KillAsync(name);
        await StartAgainAsync(name);
    }

    /// <summary>SIGKILLs <paramref name="name"/> and waits for it to be gone.</summary>
    public async Task KillAsync(string name)
    {
        var process = _processes.Single(p => p.Name == name);
        using (var os = System.Diagnostics.Process.GetProcessById(process.Id))
        {
            os.Kill(); // SIGKILL on Linux
        }

        await process.WaitForExitAsync(TimeSpan.FromSeconds(10));
        _processes.Remove(process);
        _killed.Add(process); // its output still counts for the log checks
    }

    /// <summary>Starts a killed <paramref name="name"/> again, on its port with its settings, and waits until it is ready.</summary>
    public async Task StartAgainAsync(string name)
    {
        var port = _killed.Last(p => p.Name == name).Port;
        Start(name, port, new Dictionary<string, string>(_environments[name]));
        await WaitReadyAsync(_processes.Single(p => p.Name == name));
    }

    private readonly List<ServiceProcess> _killed = [];

    /// <summary>The output of every process this platform ran, killed ones included.</summary>
    public IEnumerable<ServiceProcess> AllProcesses => _processes.Concat(_killed);

    public string Logs() => string.Join("\n", _processes.Select(p => $"==== {p.Name}\n{p.Output}"));

    private void Start(string name, int port, Dictionary<string, string> environment)
    {
        Configure(name, environment);
        _environments[name] = environment;
        _processes.Add(ServiceProcess.Start(RepoRoot, name, port, environment));
    }

    /// <summary>Whether every running service answers /health/ready with 200 right now.</summary>
    public async Task<bool> AllReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        foreach (var process in _processes)
        {
            if (!await ServiceProcess.IsReadyAsync(http, process.Port))
            {
                return false;
            }
        }

        return true;
    }

    private Task WaitReadyAsync(ServiceProcess process) => process.WaitReadyAsync(Logs);
}

[CollectionDefinition(Name)]
public sealed class FuzzCollection : ICollectionFixture<FuzzPlatform>
{
    public const string Name = "fuzz-platform";
}

using System.Net.Http.Headers;
using System.Security.Cryptography;
using CCApi.Emulators;
using CCApi.Emulators.ElevenLabs;
using CCApi.Emulators.ImaginePro;
using CCApi.Emulators.OpenAI;
using CCApi.Emulators.StabilityAI;
using CCApi.Outbound;

namespace CCApi.EndToEnd.Tests;

/// <summary>
/// Starts the real platform — Catalog, JobStatus, the local adapter, every real provider adapter and the Gateway, each as
/// its own `dotnet` process built by test.sh — against test.sh's RabbitMQ (virtual host ccapi-test-e2e) and Redis, on
/// free ports, and stops them after the tests. The provider adapters are the rows of deploy/providers (<see cref="ProviderTable"/>):
/// each is configured exactly as ./run.sh does it (its *_API_KEY / *_BASE_URL variables) and points at its provider's
/// emulator (<see cref="EmulatorCatalog"/>), hosted in this test process. Every process writes its spans to a JSON-lines file so tests can follow one trace across processes.
/// </summary>
public sealed class PlatformFixture : IAsyncLifetime
{
    private readonly List<ServiceProcess> _processes = [];
    private readonly Dictionary<string, Dictionary<string, string>> _environments = new(StringComparer.Ordinal);

    public string RepoRoot => TestInfrastructure.RepoRoot;
    public string WorkDir { get; } = Directory.CreateTempSubdirectory("ccapi-e2e-").FullName;
    public string ApiKey { get; } = "sk-ccapi-e2e-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>The key's public id as the gateway derives it ("key_" + 16 hex characters of its SHA-256), e.g. on <c>ccapi.cost</c>.</summary>
    public string KeyId => "key_" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(ApiKey)))[..16];
    /// <summary>The operators' key (admin API under /admin/v1), the same on every gateway process.</summary>
    public string AdminApiKey { get; } = "admin-e2e-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public string WebhookSecret { get; } = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    public int GatewayPort { get; } = TestInfrastructure.FreePort();
    public string Origin => $"http://127.0.0.1:{GatewayPort}";
    public string BaseUrl => $"{Origin}/v1";

    public IReadOnlyList<ServiceProcess> Processes => _processes;

    public OpenAIEmulator OpenAI => Emulator<OpenAIEmulator>();

    public ElevenLabsEmulator ElevenLabs => Emulator<ElevenLabsEmulator>();

    public StabilityAIEmulator StabilityAI => Emulator<StabilityAIEmulator>();

    public ImagineProEmulator ImaginePro => Emulator<ImagineProEmulator>();

    /// <summary>The running emulator of type <typeparamref name="T"/>, one per provider under test.</summary>
    public T Emulator<T>()
        where T : Emulator => Providers.Select(p => p.Emulator).OfType<T>().Single();

    /// <summary>The real provider adapters under test, each with its emulator.</summary>
    public IReadOnlyList<ProviderUnderTest> Providers { get; private set; } = [];

    public async Task InitializeAsync()
    {
        var catalogPort = TestInfrastructure.FreePort();
        var jobStatusPort = TestInfrastructure.FreePort();
        var adapterPort = TestInfrastructure.FreePort();
        var signingKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

        Dictionary<string, string> Common(string service) => new()
        {
            ["ConnectionStrings__RabbitMq"] = TestInfrastructure.RabbitMq("e2e"),
            ["ConnectionStrings__Redis"] = TestInfrastructure.Redis,
            ["Telemetry__SpanFile"] = SpanFile(service),
            ["OutboundUrls__AllowPrivateNetworks"] = "true", // webhook receivers in these tests listen on loopback
        };

        Start("CCApi.Catalog", catalogPort, new(Common("CCApi.Catalog"))
        {
            ["Catalog__DefinitionPath"] = Path.Combine(RepoRoot, "deploy", "catalog.json"),
        });
        Start("CCApi.JobStatus", jobStatusPort, new(Common("CCApi.JobStatus"))
        {
            ["BlobUrls__SigningKey"] = signingKey,
            ["BlobUrls__PublicBaseUrl"] = Origin,
            ["Webhooks__Secret"] = WebhookSecret,
        });
        Start("CCApi.Adapters.Local", adapterPort, new(Common("CCApi.Adapters.Local"))
        {
            ["LocalAdapter__AsyncStepDelay"] = "00:00:00.300",
        });

        // Every provider adapter of deploy/providers that calls an upstream, against its emulator (EmulatorCatalog).
        var providers = new List<ProviderUnderTest>();
        foreach (var row in ProviderTable.Load(RepoRoot).Where(r => r.HasUpstream))
        {
            var settings = new Dictionary<string, string>(ProviderTuning.GetValueOrDefault(row.Name) ?? new Dictionary<string, string>());
            if (row.Has("blob-urls"))
            {
                settings["BlobUrls__SigningKey"] = signingKey;
                settings["BlobUrls__PublicBaseUrl"] = Origin;
            }

            providers.Add(new(row.Name, row.Project, row.Section, row.KeyVariable!, row.BaseUrlVariable!, await EmulatorCatalog.StartAsync(row.Section))
            {
                Settings = settings,
            });
        }

        Providers = providers;
        foreach (var provider in Providers)
        {
            var environment = new Dictionary<string, string>(Common(provider.Service))
            {
                [provider.KeyVariable] = provider.Emulator.ApiKey,
                [provider.BaseUrlVariable] = provider.Emulator.BaseUrl,
            };
            foreach (var (key, value) in AdapterTuning)
            {
                environment[$"{provider.Section}__{key}"] = value;
            }

            foreach (var (key, value) in provider.Settings)
            {
                environment[key] = value;
            }

            Start(provider.Service, TestInfrastructure.FreePort(), environment);
        }
        await WaitReadyAsync(_processes[0]);
        _gatewayEnvironment = new(Common("CCApi.Gateway"))
        {
            ["Services__CatalogUrl"] = $"http://127.0.0.1:{catalogPort}",
            ["Services__JobStatusUrl"] = $"http://127.0.0.1:{jobStatusPort}",
            ["BlobUrls__SigningKey"] = signingKey,
            ["Auth__BootstrapApiKey"] = ApiKey,
            ["Auth__AdminApiKey"] = AdminApiKey,
            ["Webhooks__Secret"] = WebhookSecret,
            ["Console__StatisticsFlushInterval"] = "00:00:01",
        };
        Start("CCApi.Gateway", GatewayPort, new(_gatewayEnvironment));

        foreach (var process in _processes)
        {
            await WaitReadyAsync(process);
        }

        // Ready means the gateway has a catalog snapshot; wait until it also sees every adapter's heartbeat.
        foreach (var provider in Providers.Select(p => p.Name).Prepend("local"))
        {
            if (!await ProviderStatusIsAsync(provider, "available", TimeSpan.FromSeconds(30)))
            {
                throw new InvalidOperationException($"The {provider} provider never became available.\n" + Logs());
            }
        }
    }

    /// <summary>Further settings of one provider's adapter process, by provider name: ImaginePro polls its jobs quickly here.</summary>
    private static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ProviderTuning =
        new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["imaginepro"] = new Dictionary<string, string>
            {
                ["ImaginePro__PollInitialInterval"] = "00:00:00.200",
                ["ImaginePro__PollMaxInterval"] = "00:00:00.500",
            },
        };

    /// <summary>
    /// Adapter settings that keep failure tests short: fast retries, a short upstream timeout, and a circuit breaker
    /// that opens after a handful of failed calls and probes again after two seconds.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> AdapterTuning = new Dictionary<string, string>
    {
        ["RetryBaseDelay"] = "00:00:00.050",
        ["MaxRetryAfter"] = "00:00:02",
        ["RequestTimeout"] = "00:00:03",
        ["StreamIdleTimeout"] = "00:00:03",
        ["BreakerMinimumThroughput"] = "6",
        ["BreakerSamplingDuration"] = "00:00:10",
        ["BreakerBreakDuration"] = "00:00:02",
        ["HeartbeatInterval"] = "00:00:01",
    };

    /// <summary>Polls GET /v1/providers/{name} until its status is <paramref name="status"/>.</summary>
    public async Task<bool> ProviderStatusIsAsync(string provider, string status, TimeSpan within)
    {
        using var client = CreateClient();
        return await TestInfrastructure.EventuallyAsync(async () =>
        {
            var body = System.Text.Json.Nodes.JsonNode.Parse(await client.GetStringAsync($"/v1/providers/{provider}"));
            return (string?)body?["status"] == status;
        }, within, TimeSpan.FromMilliseconds(200));
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Stop();
        }

        await Task.WhenAll(_processes.Select(p => p.WaitForExitAsync(TimeSpan.FromSeconds(30))));
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        foreach (var provider in Providers)
        {
            await provider.Emulator.DisposeAsync();
        }
    }

    /// <summary>
    /// Starts (once) a second gateway process on the same broker and Redis — another replica — and answers its origin.
    /// Only the tests that need two replicas pay for it.
    /// </summary>
    public async Task<string> SecondGatewayAsync()
    {
        await _secondGatewayLock.WaitAsync();
        try
        {
            if (_secondGatewayPort is not { } port)
            {
                port = TestInfrastructure.FreePort();
                var environment = new Dictionary<string, string>(_gatewayEnvironment) { ["Telemetry__SpanFile"] = SpanFile("CCApi.Gateway-2") };
                Start("CCApi.Gateway", port, environment);
                await WaitReadyAsync(_processes[^1]);
                _secondGatewayPort = port;
            }

            return $"http://127.0.0.1:{port}";
        }
        finally
        {
            _secondGatewayLock.Release();
        }
    }

    private Dictionary<string, string> _gatewayEnvironment = [];
    private int? _secondGatewayPort;
    private readonly SemaphoreSlim _secondGatewayLock = new(1, 1);

    /// <summary>An HttpClient on the gateway origin with the API key set.</summary>
    public HttpClient CreateClient(string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(Origin), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey ?? ApiKey);
        return client;
    }

    public string SpanFile(string service) => Path.Combine(WorkDir, $"spans-{service}.jsonl");

    /// <summary>The base URL of one service process (e.g. for its <c>/metrics</c>).</summary>
    public string ServiceUrl(string service) => $"http://127.0.0.1:{_processes.First(p => p.Name == service).Port}";

    public string Logs() => string.Join("\n", _processes.Select(p => $"==== {p.Name}\n{p.Output}"));

    /// <summary>Stops a service (SIGTERM, as a rolling update does) and waits until it has exited.</summary>
    public async Task StopServiceAsync(string name)
    {
        var process = _processes.First(p => p.Name == name);
        process.Stop();
        await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Freezes a running service (SIGSTOP) or lets it go on (SIGCONT); see <see cref="ServiceProcess.Pause"/>.</summary>
    public void PauseService(string name, bool paused)
    {
        var process = _processes.First(p => p.Name == name);
        if (paused)
        {
            process.Pause();
        }
        else
        {
            process.Resume();
        }
    }

    /// <summary>Starts a stopped service again, on its port with its settings, and waits until it is ready.</summary>
    public async Task StartServiceAsync(string name)
    {
        var index = _processes.FindIndex(p => p.Name == name);
        var old = _processes[index];
        if (!old.HasExited)
        {
            throw new InvalidOperationException($"{name} is still running.");
        }

        _processes.RemoveAt(index);
        old.Dispose();
        Start(name, old.Port, _environments[name]);
        await WaitReadyAsync(_processes[^1]);
    }

    private void Start(string name, int port, Dictionary<string, string> environment)
    {
        _environments[name] = environment;
        _processes.Add(ServiceProcess.Start(RepoRoot, name, port, environment));
    }

    private Task WaitReadyAsync(ServiceProcess process) => process.WaitReadyAsync(Logs);
}

/// <summary>A real provider adapter process and the emulator it calls.</summary>
public sealed record ProviderUnderTest(string Name, string Service, string Section, string KeyVariable, string BaseUrlVariable, Emulator Emulator)
{
    /// <summary>Further environment variables of this adapter process.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}

[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<PlatformFixture>
{
    public const string Name = "platform";
}

using System.Net;
using System.Net.Sockets;

namespace CCApi.Testing;

/// <summary>
/// Where the tests' RabbitMQ and Redis are. <c>CCAPI_TEST_INFRA</c> (set by test.sh) chooses:
/// <list type="bullet">
/// <item>"containers" (the default wherever a Docker engine is configured): this test assembly's OWN broker and Redis,
/// started through Testcontainers on first use (<see cref="TestContainers"/>); the broker's default virtual host "/".</item>
/// <item>"native": the servers test.sh started (<c>CCAPI_TEST_RABBITMQ</c>, <c>CCAPI_TEST_REDIS</c>), with one RabbitMQ
/// virtual host per test project so assemblies running side by side never consume each other's messages.</item>
/// </list>
/// </summary>
public static class TestInfrastructure
{
    /// <summary>True when this process's broker and Redis are containers of its own.</summary>
    public static bool UsesContainers { get; } = Environment.GetEnvironmentVariable("CCAPI_TEST_INFRA") switch
    {
        "containers" => true,
        "native" => false,
        _ => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST")) || File.Exists("/var/run/docker.sock"),
    };

    /// <summary>amqp://guest:guest@127.0.0.1:PORT: this process's broker container, or test.sh's native node (5673 by default).</summary>
    public static string RabbitMqBase => UsesContainers
        ? $"amqp://guest:guest@127.0.0.1:{TestContainers.ForThisProcess.RabbitMq.GetMappedPublicPort(5672)}"
        : (Environment.GetEnvironmentVariable("CCAPI_TEST_RABBITMQ") ?? "amqp://guest:guest@127.0.0.1:5673").TrimEnd('/');

    /// <summary>host:port of this process's Redis container, or of test.sh's native server (6380 by default).</summary>
    public static string RedisEndpoint => UsesContainers
        ? $"127.0.0.1:{TestContainers.ForThisProcess.Redis.GetMappedPublicPort(6379)}"
        : Environment.GetEnvironmentVariable("CCAPI_TEST_REDIS") ?? "127.0.0.1:6380";

    /// <summary>
    /// The Redis connection string of this test project. With containers the Redis is the assembly's own; on the native
    /// server each test project gets a database of its own (<c>defaultDatabase</c>), as it gets a RabbitMQ virtual host,
    /// so that projects running side by side never share a key — such as the webhook schedule <c>ccapi:{webhooks}:due</c>,
    /// from which a JobStatus of another project (the end-to-end platform's, on the production retry schedule) used to
    /// deliver this project's retries.
    /// </summary>
    public static string Redis => RedisAt(RedisEndpoint);

    /// <summary>The connection string of this test project's Redis database at another address (a proxy in front of it).</summary>
    public static string RedisAt(string endpoint) => UsesContainers ? endpoint : $"{endpoint},defaultDatabase={ProjectDatabase}";

    // Above ProjectDatabase: static initializers run in declaration order.
    private static readonly string[] TestProjects =
    [
        "CCApi.Shared.Tests", "CCApi.Gateway.Tests", "CCApi.Catalog.Tests", "CCApi.JobStatus.Tests", "CCApi.Adapters.Local.Tests",
        "CCApi.Adapters.OpenAI.Tests", "CCApi.Adapters.ElevenLabs.Tests", "CCApi.Adapters.StabilityAI.Tests",
        "CCApi.Adapters.ImaginePro.Tests", "CCApi.EndToEnd.Tests", "CCApi.Fuzz.Tests", "CCApi.Deploy.Tests",
    ];

    /// <summary>Each test project's database on the native Redis (1–12; 0 for an assembly not listed).</summary>
    private static int ProjectDatabase { get; } = Array.IndexOf(TestProjects, TestAssemblyName()) + 1;

    private static string? TestAssemblyName() => AppDomain.CurrentDomain.GetAssemblies()
        .Select(a => a.GetName().Name)
        .FirstOrDefault(name => name is not null && name.StartsWith("CCApi.", StringComparison.Ordinal) && name.EndsWith(".Tests", StringComparison.Ordinal));

    /// <summary>
    /// The connection string for a test project: "gateway", "catalog", "jobstatus", "local", "shared", "e2e", … names its
    /// virtual host on the native servers; with containers the broker is the assembly's own and its default vhost "/" is used.
    /// </summary>
    public static string RabbitMq(string vhost) => UsesContainers
        ? $"{RabbitMqBase}/"
        : $"{RabbitMqBase}/{Uri.EscapeDataString("ccapi-test-" + vhost)}";

    /// <summary>The repository the tests run in: the first folder above the test binaries that holds CCApi.Platform.sln.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CCApi.Platform.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("CCApi.Platform.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Whether something accepts TCP connections on 127.0.0.1:<paramref name="port"/> right now.</summary>
    public static bool PortOpen(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>A loopback port for a service or listener a test starts, never handed to anyone else (<see cref="CCApi.Emulators.LoopbackPorts"/>).</summary>
    public static int FreePort() => CCApi.Emulators.LoopbackPorts.Claim();

    /// <summary>A signing key for blob URLs in tests.</summary>
    public const string SigningKey = "test-signing-key-0123456789abcdef0123456789abcdef";

    /// <summary>Polls until <paramref name="condition"/> holds or the timeout passes; returns whether it held.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(50));
        }

        return await condition();
    }
}

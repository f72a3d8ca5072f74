using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Images;
using Testcontainers.RabbitMq;
using Testcontainers.Redis;

namespace CCApi.Testing;

/// <summary>
/// Every Testcontainers setting the tests use, in one place. <c>test.sh</c> (scripts/containers.sh) provides the engine
/// (<c>DOCKER_HOST</c>: an engine already running, or a private dockerd it starts) and the two images, built locally
/// from Debian's own <c>rabbitmq-server</c> and <c>redis-server</c> packages because no image registry is reachable
/// here. Each test assembly (one test process) gets its own broker and Redis, started on first use and removed after its
/// last test (<see cref="ContainerTestFramework"/>) or, failing that, when the process exits.
/// </summary>
public static class TestContainers
{
    /// <summary>Images made by scripts/containers.sh (names kept in step with CCAPI_RABBITMQ_IMAGE / CCAPI_REDIS_IMAGE there).</summary>
    public const string RabbitMqImage = "ccapi-test/rabbitmq:bookworm";

    public const string RedisImage = "ccapi-test/redis:bookworm";

    /// <summary>On every container, so test.sh removes whatever a crashed test process left behind (docker ps --filter label=…).</summary>
    public const string Label = "ccapi.tests";

    static TestContainers()
    {
        // Environment variables, because Testcontainers reads its settings from them once, the first time any of its
        // types is touched; an explicit value from the caller's environment wins.
        //
        // DOCKER_API_VERSION=1.41: Debian's dockerd is 20.10 and speaks API 1.41, older than the client's default;
        // without the pin every call is refused with "client version is too new".
        Default("DOCKER_API_VERSION", "1.41");
        // No Ryuk: its reaper image cannot be pulled here. Instead this class removes its containers after the last test
        // and test.sh removes leftovers by label (so a killed test process leaves nothing running either).
        Default("TESTCONTAINERS_RYUK_DISABLED", "true");
        // Reach published ports as 127.0.0.1 (never "localhost", which may resolve to ::1, where nothing is published).
        Default("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1");
        // The endpoint: DOCKER_HOST as test.sh exports it; unset means Docker's default socket (/var/run/docker.sock).
    }

    private static void Default(string name, string value)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
        {
            Environment.SetEnvironmentVariable(name, value);
        }
    }

    /// <summary>
    /// A RabbitMQ container like test.sh's native node: user guest/guest, allowed from the published port (the image sets
    /// loopback_users = none), default virtual host "/". <paramref name="hostPort"/> fixes the port on 127.0.0.1 (so
    /// a stopped and restarted broker is found again at the same address); null picks a free one.
    /// </summary>
    public static RabbitMqContainer RabbitMq(int? hostPort = null) =>
        Common(new RabbitMqBuilder(RabbitMqImage).WithUsername("guest").WithPassword("guest"), 5672, hostPort)
            // The image logs to stdout (RABBITMQ_LOGS=-); this line comes once the AMQP listener is up.
            .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("Server startup complete"))
            .Build();

    /// <summary>A Redis container (no persistence). <paramref name="hostPort"/> as for <see cref="RabbitMq"/>.</summary>
    public static RedisContainer Redis(int? hostPort = null) =>
        Common(new RedisBuilder(RedisImage), 6379, hostPort)
            .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("Ready to accept connections"))
            .Build();

    private static TBuilder Common<TBuilder, TContainer, TConfiguration>(
        ContainerBuilder<TBuilder, TContainer, TConfiguration> builder, int containerPort, int? hostPort)
        where TBuilder : ContainerBuilder<TBuilder, TContainer, TConfiguration>
        where TContainer : IContainer
        where TConfiguration : IContainerConfiguration =>
        builder
            // The image exists only locally (made by test.sh); never try a registry.
            .WithImagePullPolicy(PullPolicy.Never)
            .WithLabel(Label, "true")
            // Published on 127.0.0.1 only (the private dockerd also binds every published port there: --ip=127.0.0.1).
            .WithPortBinding(hostPort ?? 0, containerPort);

    /// <summary>This test process's own broker and Redis, started together on first use.</summary>
    internal static (RabbitMqContainer RabbitMq, RedisContainer Redis) ForThisProcess => Shared.Value;

    private static readonly Lazy<(RabbitMqContainer, RedisContainer)> Shared = new(StartShared, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Removes this process's broker and Redis if they were started (after the assembly's last test; again at exit, harmlessly).</summary>
    internal static async Task DisposeForThisProcessAsync()
    {
        if (Shared.IsValueCreated)
        {
            var (rabbit, redis) = Shared.Value;
            await Task.WhenAll(rabbit.DisposeAsync().AsTask(), redis.DisposeAsync().AsTask());
        }
    }

    private static (RabbitMqContainer, RedisContainer) StartShared()
    {
        var rabbit = RabbitMq();
        var redis = Redis();
        // Also at process exit (Ryuk is off), for a run that never reaches ContainerTestFramework's last step.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            Task.WhenAll(rabbit.DisposeAsync().AsTask(), redis.DisposeAsync().AsTask()).Wait(TimeSpan.FromSeconds(20));
        // Off the caller's synchronization context (xUnit's), which must not be blocked on.
        Task.Run(() => Task.WhenAll(rabbit.StartAsync(), redis.StartAsync())).GetAwaiter().GetResult();
        return (rabbit, redis);
    }
}

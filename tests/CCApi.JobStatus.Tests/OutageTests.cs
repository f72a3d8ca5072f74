using System.Net;
using CCApi.Testing;
using DotNet.Testcontainers.Containers;

namespace CCApi.JobStatus.Tests;

/// <summary>
/// Redis or RabbitMQ down when the service starts: it starts anyway (live), says it is not ready, and becomes ready and
/// serves real work BY ITSELF once the dependency is back. Each test has its own broker and Redis containers on ports
/// fixed up front, so the one it stops comes back at the same address, and no other test loses its infrastructure.
/// </summary>
public sealed class OutageTests : IAsyncLifetime
{
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(60);

    private readonly int _rabbitPort = TestInfrastructure.FreePort();
    private readonly int _redisPort = TestInfrastructure.FreePort();
    private IContainer? _rabbit;
    private IContainer? _redis;

    public Task InitializeAsync()
    {
        if (!TestInfrastructure.UsesContainers)
        {
            return Task.CompletedTask; // skipped (ContainersFact)
        }

        _rabbit = TestContainers.RabbitMq(_rabbitPort);
        _redis = TestContainers.Redis(_redisPort);
        return Task.WhenAll(_rabbit.StartAsync(), _redis.StartAsync());
    }

    public async Task DisposeAsync()
    {
        foreach (var container in new[] { _rabbit, _redis })
        {
            if (container is not null)
            {
                await container.DisposeAsync();
            }
        }
    }

    [ContainersFact]
    public Task Starts_unready_while_redis_is_down_and_recovers_by_itself_when_it_is_back() => DownAtStartAsync(_redis!);

    [ContainersFact]
    public Task Starts_unready_while_rabbitmq_is_down_and_recovers_by_itself_when_it_is_back() => DownAtStartAsync(_rabbit!);

    private async Task DownAtStartAsync(IContainer dependency)
    {
        await dependency.StopAsync();
        await using var factory = new JobStatusFactory(new Dictionary<string, string?>
        {
            ["ConnectionStrings:RabbitMq"] = $"amqp://guest:guest@127.0.0.1:{_rabbitPort}/",
            ["ConnectionStrings:Redis"] = $"127.0.0.1:{_redisPort}",
        });
        using var client = factory.CreateClient();

        (await client.GetAsync("/health/live")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);

        await dependency.StartAsync();

        (await TestInfrastructure.EventuallyAsync(async () =>
            (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK, Recovery, TimeSpan.FromMilliseconds(250)))
            .ShouldBeTrue("the service never became ready after its dependency came back");
        var jobId = Guid.NewGuid();
        await factory.RegisterAsync(TestJobs.Register(jobId)); // over the broker, stored in Redis
        (await factory.GetJobAsync(jobId))!.State.ShouldBe("pending");
    }
}

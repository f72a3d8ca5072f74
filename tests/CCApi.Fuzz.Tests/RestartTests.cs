using Xunit.Abstractions;

namespace CCApi.Fuzz.Tests;

/// <summary>
/// Issue 11, "RabbitMQ restarted mid-run" and "Redis restarted mid-run": the dependency stopped the operator's way and
/// started again under steady traffic (<see cref="FaultTraffic"/>). Requests in the window get 503 service_unavailable
/// (or 504) with the error object — never a 500, and none waits out the gateway's 60 s request timeout, which the
/// traffic's client would not survive; every service reconnects by itself (no restart of any of them); every async job
/// accepted before or after ends terminal. The broker and Redis are this class's own (<see cref="RestartPlatform"/>),
/// never the ones other suites share.
/// </summary>
[Collection(RestartCollection.Name)]
public sealed class RestartTests(RestartPlatform platform, ITestOutputHelper output)
{
    /// <summary>The broker stopped in order (SIGTERM, as Kubernetes stops it), away 3 s: refusals of new requests, not only broken waits.</summary>
    [Fact]
    public async Task Requests_in_a_RabbitMQ_restart_get_a_clear_503_and_every_service_and_job_recovers_by_itself()
    {
        var traffic = await RestartUnderTrafficAsync(platform.Broker, TimeSpan.FromSeconds(3), "rabbitmq-restart");

        await ShouldHaveRecoveredAsync(traffic);
    }

    /// <summary>
    /// Redis shut down (SHUTDOWN, with run.sh's append-only file), away 8 s: past Auth:CacheTtl (1 s) and the Redis
    /// client's 5 s timeout for commands waiting for a connection. The configured key works at once afterwards; a job
    /// nobody finished is failed by JobStatus after Jobs:StuckAfter, so none stays pending or processing.
    /// </summary>
    [Fact]
    public async Task Requests_in_a_Redis_restart_get_a_clear_503_and_every_service_and_job_recovers_by_itself()
    {
        var traffic = await RestartUnderTrafficAsync(platform.RedisServer, TimeSpan.FromSeconds(8), "redis-restart");
        using (var client = platform.CreateClient())
        {
            // The key's record came back with Redis (append-only file), or the gateway stored the configured key again.
            using var key = await client.GetAsync("/v1/key");
            key.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK, await key.Content.ReadAsStringAsync());
        }

        await ShouldHaveRecoveredAsync(traffic);
    }

    private async Task<FaultTraffic> RestartUnderTrafficAsync(NativeServer server, TimeSpan away, string name)
    {
        var traffic = new FaultTraffic(platform);
        await traffic.RestartUnderTrafficAsync(server, away);
        traffic.Report(name, output);
        return traffic;
    }

    private async Task ShouldHaveRecoveredAsync(FaultTraffic traffic)
    {
        traffic.ShouldHaveAnsweredEveryRequestClearly();
        await traffic.ShouldWorkAgainAsync();
        await traffic.ShouldEndEveryAcceptedJobAsync();
        output.WriteLine($"recovered: {traffic.Timeline}");
    }
}

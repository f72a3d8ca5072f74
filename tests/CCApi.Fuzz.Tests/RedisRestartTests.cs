using Xunit.Abstractions;

namespace CCApi.Fuzz.Tests;

/// <summary>
/// Issue 11, "Redis restarted mid-run": Redis shut down (SHUTDOWN, with run.sh's append-only file) and started again
/// under steady traffic. Requests in the window get 503 (or 504) with the error object, never a 500 or a hang; every
/// service reconnects by itself; the configured key works at once afterwards; every accepted async job ends terminal —
/// completed, or failed by JobStatus after Jobs:StuckAfter — and none stays pending or processing. The Redis is this
/// test's own (<see cref="RestartPlatform"/>), never the one other suites share.
/// </summary>
[Collection(RestartCollection.Name)]
public sealed class RedisRestartTests(RestartPlatform platform, ITestOutputHelper output)
{
    [Fact]
    public async Task Requests_in_a_Redis_restart_get_a_clear_503_and_every_service_and_job_recovers_by_itself()
    {
        var traffic = new FaultTraffic(platform);

        // Away 8 s: past Auth:CacheTtl (1 s) and the Redis client's 5 s timeout for commands waiting for a connection.
        await traffic.RestartUnderTrafficAsync(platform.RedisServer, TimeSpan.FromSeconds(8));

        traffic.Report("redis-restart", output);
        using (var client = platform.CreateClient())
        {
            // The key's record came back with Redis (append-only file), or the gateway stored the configured key again.
            using var key = await client.GetAsync("/v1/key");
            key.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK, await key.Content.ReadAsStringAsync());
        }

        traffic.ShouldHaveAnsweredEveryRequestClearly();
        await traffic.ShouldWorkAgainAsync();
        await traffic.ShouldEndEveryAcceptedJobAsync();
    }
}

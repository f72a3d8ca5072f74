using CCApi.Testing;
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

        await traffic.RunAsync(async () =>
        {
            await platform.RedisServer.StopAsync();
            await Task.Delay(TimeSpan.FromSeconds(8)); // past Auth:CacheTtl (1 s) and the Redis client's 5 s command timeout
            await platform.RedisServer.StartAsync();
            (await TestInfrastructure.EventuallyAsync(platform.AllReadyAsync, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(250)))
                .ShouldBeTrue("not every service was ready again after Redis came back\n" + platform.Logs());
        });

        using (var client = platform.CreateClient())
        {
            // The key's record came back with Redis (append-only file), or the gateway stored the configured key again.
            using var key = await client.GetAsync("/v1/key");
            key.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK, await key.Content.ReadAsStringAsync());
        }

        output.WriteLine("Redis restart: " + traffic.Rules.Summary());
        traffic.ShouldHaveAnsweredEveryRequestClearly();
        await traffic.ShouldWorkAgainAsync();
        await traffic.ShouldEndEveryAcceptedJobAsync();
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "ccapi-fuzz-figures.txt"),
            $"{DateTimeOffset.UtcNow:O} redis-restart: {traffic.Rules.Summary()}; {traffic.AcceptedJobs.Count} async jobs accepted, all ended\n");
    }
}

using Xunit.Abstractions;

namespace CCApi.Fuzz.Tests;

/// <summary>
/// Issue 11, "no job is ever lost": 200 async image jobs accepted, then the adapter process running them SIGKILLed
/// twice (restarted each time, as run.sh's supervisor or Kubernetes would) — every job ends completed with exactly one
/// image, as it would have without the kills: unacknowledged commands go back to the queue and the restarted adapter
/// runs them again; JobStatus keeps one result per job.
/// </summary>
public sealed class AdapterKillTests(FuzzPlatform platform, ITestOutputHelper output) : FuzzTest(platform)
{
    private const int Jobs = 200;

    [Fact]
    public async Task Async_jobs_in_flight_all_complete_once_through_two_SIGKILLs_of_their_adapter()
    {
        using var client = Platform.CreateClient(timeout: TimeSpan.FromSeconds(30));
        using var gate = new SemaphoreSlim(16);
        var ids = await Task.WhenAll(Enumerable.Range(0, Jobs).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var body = $$$"""{"model":"local/pixel-async-1","contents":[{"text":"job {{{i}}}"}],"parameters":{"width":64,"height":64,"seed":{{{i}}}}}""";
                using var response = await client.PostAsync("/v1/images/generate", Json(body));
                var text = await response.Content.ReadAsStringAsync();
                response.StatusCode.ShouldBe(HttpStatusCode.Accepted, text);
                return (string)JsonNode.Parse(text)!["id"]!;
            }
            finally
            {
                gate.Release();
            }
        }));

        var kills = 0;
        for (var round = 0; round < 2; round++)
        {
            var done = await CountTerminalAsync(client, ids);
            done.ShouldBeLessThan(Jobs, "every job ended before the kill: nothing was in flight");
            await Platform.KillAndRestartAsync("CCApi.Adapters.Local");
            kills++;
            output.WriteLine($"kill {kills}: {done} of {Jobs} jobs had ended");
        }

        var allEnded = await TestInfrastructure.EventuallyAsync(async () => await CountTerminalAsync(client, ids) == Jobs,
            TimeSpan.FromSeconds(120), TimeSpan.FromMilliseconds(500));
        allEnded.ShouldBeTrue($"{Jobs - await CountTerminalAsync(client, ids)} jobs never ended");

        foreach (var id in ids)
        {
            var job = JsonNode.Parse(await client.GetStringAsync($"/v1/images/jobs/{id}"))!;
            ((string?)job["status"]).ShouldBe("completed", job.ToJsonString());
            job["data"]!.AsArray().Count.ShouldBe(1, job.ToJsonString());
        }

        var line = $"{Jobs} async jobs, {kills} SIGKILLs of the adapter: {Jobs} completed with one image each, 0 lost, 0 failed";
        output.WriteLine(line);
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "ccapi-fuzz-figures.txt"), $"{DateTimeOffset.UtcNow:O} kills: {line}\n");
    }

    private static async Task<int> CountTerminalAsync(HttpClient client, IEnumerable<string> ids)
    {
        var terminal = 0;
        foreach (var id in ids)
        {
            var job = JsonNode.Parse(await client.GetStringAsync($"/v1/images/jobs/{id}"));
            if ((string?)job?["status"] is "completed" or "failed" or "canceled")
            {
                terminal++;
            }
        }

        return terminal;
    }
}

namespace CCApi.Fuzz.Tests;

/// <summary>
/// Issue 11, "JobStatus down while adapters publish": async jobs accepted, JobStatus killed while the adapter finishes
/// them — their events wait in JobStatus's durable queue — and started again: every job is completed, with its image.
/// </summary>
public sealed class JobStatusOutageTests(FuzzPlatform platform) : FuzzTest(platform)
{
    private const int Jobs = 20;

    [Fact]
    public async Task Jobs_finished_while_JobStatus_was_down_are_completed_once_it_is_back()
    {
        using var client = Platform.CreateClient();
        var ids = new List<string>();
        for (var i = 0; i < Jobs; i++)
        {
            var body = $$$"""{"model":"local/pixel-async-1","contents":[{"text":"outage {{{i}}}"}],"parameters":{"width":64,"height":64}}""";
            using var response = await client.PostAsync("/v1/images/generate", Json(body));
            var text = await response.Content.ReadAsStringAsync();
            response.StatusCode.ShouldBe(HttpStatusCode.Accepted, text);
            ids.Add((string)JsonNode.Parse(text)!["id"]!);
        }

        await Platform.KillAsync("CCApi.JobStatus");
        try
        {
            // Meanwhile the adapter runs the jobs (20 jobs, 8 at a time, ~0.6 s each) and publishes their events.
            await Task.Delay(TimeSpan.FromSeconds(4));
        }
        finally
        {
            await Platform.StartAgainAsync("CCApi.JobStatus");
        }

        var completed = await TestInfrastructure.EventuallyAsync(async () =>
        {
            foreach (var id in ids)
            {
                using var response = await client.GetAsync($"/v1/images/jobs/{id}");
                if (!response.IsSuccessStatusCode || (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())?["status"] != "completed")
                {
                    return false;
                }
            }

            return true;
        }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(500));

        completed.ShouldBeTrue("not every job was completed after JobStatus came back");
        foreach (var id in ids)
        {
            var job = JsonNode.Parse(await client.GetStringAsync($"/v1/images/jobs/{id}"))!;
            job["data"]!.AsArray().Count.ShouldBe(1, job.ToJsonString());
        }
    }
}

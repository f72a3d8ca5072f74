namespace CCApi.EndToEnd.Tests;

/// <summary>
/// Async image jobs and requests a client waits on share a provider but not its queue: a backlog of async jobs, each
/// holding its adapter slot while it runs, must not hold up a synchronous image request — from another key, or the same.
/// Real processes: the local adapter draws four images at a time per queue (LocalAdapter:ImageConcurrencyLimit), and
/// every pixel-async-1 job pauses three times (AsyncStepDelay 300 ms), so forty of them take at least nine seconds.
/// </summary>
public sealed class QueueIsolationTests(PlatformFixture platform) : PlatformTest(platform)
{
    private const int Backlog = 40;

    [Fact]
    public async Task A_synchronous_image_request_is_answered_while_a_backlog_of_async_jobs_is_still_queued()
    {
        using var client = Platform.CreateClient();
        var tag = Guid.NewGuid().ToString("N")[..8];
        var ids = new List<string>();
        try
        {
            var submits = Enumerable.Range(0, Backlog).Select(async i =>
            {
                using var response = await client.PostAsJsonAsync("/v1/images/generate",
                    new { model = "local/pixel-async-1", contents = new[] { new { text = $"backlog {tag} {i}" } } });
                response.StatusCode.ShouldBe(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
                return (string)(await response.Content.ReadFromJsonAsync<JsonNode>())!["id"]!;
            });
            ids.AddRange(await Task.WhenAll(submits));

            // The official SDK's synchronous call, made while the backlog runs.
            var image = await Sdk.GetImageClient("local/pixel-1").GenerateImageAsync($"not behind the backlog {tag}",
                new OpenAI.Images.ImageGenerationOptions { ResponseFormat = OpenAI.Images.GeneratedImageFormat.Bytes });
            image.Value.ImageBytes.ToArray().ShouldNotBeEmpty();

            // Not a timing: what matters is what the answer overtook. Sharing the queue, it came after the jobs ahead of it.
            var statuses = await Task.WhenAll(ids.Select(async id => (string)(await client.GetFromJsonAsync<JsonNode>($"/v1/images/jobs/{id}"))!["status"]!));
            statuses.ShouldNotContain("failed");
            statuses.Count(s => s is "pending" or "processing").ShouldBeGreaterThanOrEqualTo(Backlog / 2,
                $"the synchronous request waited behind the async jobs: {string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{g.Count()} {g.Key}"))}");
        }
        finally
        {
            // Leave the adapter free for the next test.
            await Task.WhenAll(ids.Select(async id => (await client.PostAsync($"/v1/images/jobs/{id}/cancel", null)).Dispose()));
        }
    }
}

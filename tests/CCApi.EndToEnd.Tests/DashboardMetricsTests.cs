namespace CCApi.EndToEnd.Tests;

/// <summary>
/// The Grafana dashboards (deploy/grafana/dashboards) against the real processes: after chat (JSON and streamed),
/// speech, and sync and async images through the gateway, every metric a dashboard query reads is served on the
/// /metrics endpoint of some service, under exactly that name. Only RabbitMQ's own exporter metrics
/// (<see cref="GrafanaDashboards.RabbitMqExporterMetrics"/>) come from elsewhere.
/// </summary>
public sealed class DashboardMetricsTests(PlatformFixture platform) : PlatformTest(platform)
{
    [Fact]
    public async Task Every_metric_a_dashboard_queries_is_served_by_a_service_after_traffic()
    {
        var expected = GrafanaDashboards.Queries(Platform.RepoRoot)
            .SelectMany(q => q.Metrics)
            .Where(m => !GrafanaDashboards.RabbitMqExporterMetrics.Contains(m))
            .ToHashSet(StringComparer.Ordinal);
        expected.ShouldNotBeEmpty();

        await DriveTrafficAsync();

        // Jobs finish and events land after the responses: scrape until every name shows up or the time is over.
        var served = new Dictionary<string, HashSet<string>>();
        var complete = await TestInfrastructure.EventuallyAsync(async () =>
        {
            served = await ScrapeAllAsync();
            return expected.All(m => served.Values.Any(names => names.Contains(m)));
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500));

        var missing = expected.Where(m => !served.Values.Any(names => names.Contains(m))).Order(StringComparer.Ordinal).ToList();
        complete.ShouldBeTrue(
            $"Dashboard metrics no service serves: {string.Join(", ", missing)}\n"
            + string.Join("\n", served.Select(s => $"{s.Key}: {string.Join(" ", s.Value.Where(n => !n.StartsWith("dotnet_", StringComparison.Ordinal)).Order(StringComparer.Ordinal))}")));
    }

    /// <summary>Sample names (without labels) of every service process's /metrics.</summary>
    private async Task<Dictionary<string, HashSet<string>>> ScrapeAllAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var result = new Dictionary<string, HashSet<string>>();
        foreach (var process in Platform.Processes)
        {
            using var response = await http.GetAsync($"http://127.0.0.1:{process.Port}/metrics");
            response.StatusCode.ShouldBe(HttpStatusCode.OK, $"/metrics of {process.Name}");
            var text = await response.Content.ReadAsStringAsync();
            // Keyed by port too: a second gateway (AccountsTests starts one) is a process of the same name.
            result[$"{process.Name}:{process.Port}"] = text.Split('\n')
                .Where(line => line.Length > 0 && line[0] != '#')
                .Select(line => line[..line.IndexOfAny([' ', '{'])])
                .ToHashSet(StringComparer.Ordinal);
        }

        return result;
    }

    private async Task DriveTrafficAsync()
    {
        // Whatever an earlier test in the collection did to the OpenAI upstream, it answers normally here.
        Platform.OpenAI.Reset();
        (await Platform.ProviderStatusIsAsync("openai", "available", TimeSpan.FromSeconds(30))).ShouldBeTrue("openai never became available");
        using var client = Platform.CreateClient();
        foreach (var model in new[] { "local/echo-1", "openai/gpt-4o-mini" })
        {
            var chat = await client.PostAsJsonAsync("/v1/chat/completions", new { model, messages = new[] { new { role = "user", content = "Count the metrics" } } });
            chat.StatusCode.ShouldBe(HttpStatusCode.OK, await chat.Content.ReadAsStringAsync());

            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = JsonContent.Create(new { model, stream = true, messages = new[] { new { role = "user", content = "Stream the metrics" } } }),
            };
            using var stream = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            stream.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await stream.Content.ReadAsStringAsync()).ShouldContain("data: [DONE]");
        }

        var speech = await client.PostAsJsonAsync("/v1/audio/speech", new { model = "local/espeak-1", input = "Metrics for the dashboard.", voice = "aria" });
        speech.StatusCode.ShouldBe(HttpStatusCode.OK, await speech.Content.ReadAsStringAsync());

        var generations = await client.PostAsJsonAsync("/v1/images/generations", new { model = "local/pixel-1", prompt = "A dashboard", size = "64x64" });
        generations.StatusCode.ShouldBe(HttpStatusCode.OK, await generations.Content.ReadAsStringAsync());

        var sync = await client.PostAsJsonAsync("/v1/images/generate", new
        {
            model = "local/pixel-1",
            contents = new[] { new { text = "A gauge at noon" } },
            parameters = new { width = 64, height = 64 },
        });
        sync.StatusCode.ShouldBe(HttpStatusCode.OK, await sync.Content.ReadAsStringAsync());

        var accepted = await client.PostAsJsonAsync("/v1/images/generate", new
        {
            model = "local/pixel-async-1",
            contents = new[] { new { text = "A histogram at dusk" } },
            parameters = new { width = 64, height = 64 },
        });
        accepted.StatusCode.ShouldBe(HttpStatusCode.Accepted, await accepted.Content.ReadAsStringAsync());
        var pollUrl = JsonNode.Parse(await accepted.Content.ReadAsStringAsync())!["poll_url"]!.GetValue<string>();
        var status = "";
        var finished = await TestInfrastructure.EventuallyAsync(async () =>
        {
            status = JsonNode.Parse(await client.GetStringAsync(pollUrl))!["status"]!.GetValue<string>();
            return status is "completed" or "failed";
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));
        finished.ShouldBeTrue($"async image job still {status}");
        status.ShouldBe("completed");
    }
}

namespace CCApi.EndToEnd.Tests;

/// <summary>
/// The metrics an operator scrapes, under the Prometheus names the README and the Grafana dashboard use: the GenAI
/// client metrics from the adapter that called the provider, the server metrics and overhead from the gateway, job
/// states from JobStatus and provider status from the catalog.
/// </summary>
public sealed class PrometheusTests(PlatformFixture platform) : PlatformTest(platform)
{
    [Fact]
    public async Task A_chat_through_a_real_adapter_shows_up_on_the_adapter_and_gateway_metrics_endpoints()
    {
        Platform.OpenAI.Reset();
        using var client = Platform.CreateClient();
        var response = await client.PostAsJsonAsync("/v1/chat/completions",
            new { model = "openai/gpt-4o-mini", messages = new[] { new { role = "user", content = "count me" } } });
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());

        string[] model = ["gen_ai_provider_name=\"openai\"", "gen_ai_request_model=\"gpt-4o-mini\""];
        string[] call = [.. model, "gen_ai_operation_name=\"chat\"", "gen_ai_response_model=\"gpt-4o-mini\""];
        (string, string[])[] adapter =
        [
            ("gen_ai_client_operation_duration_seconds_bucket", call),
            ("gen_ai_client_token_usage_bucket", [.. call, "gen_ai_token_type=\"input\""]),
            ("gen_ai_client_token_usage_bucket", [.. call, "gen_ai_token_type=\"output\""]),
            ("ccapi_queue_wait_seconds_bucket", [.. model, "gen_ai_operation_name=\"chat\""]),
            ("ccapi_tokens_total", [.. model, "gen_ai_token_type=\"output\""]),
            ("ccapi_cost_USD_total", [.. model, $"ccapi_key_id=\"{Platform.KeyId}\""]),
        ];
        string[] served = ["gen_ai_operation_name=\"chat\"", "gen_ai_provider_name=\"openai\"", "gen_ai_request_model=\"openai/gpt-4o-mini\""];
        (string, string[])[] gateway =
        [
            ("gen_ai_server_request_duration_seconds_bucket", served),
            ("ccapi_gateway_overhead_seconds_bucket", served),
        ];

        await ShouldExposeAsync("CCApi.Adapters.OpenAI", adapter);
        await ShouldExposeAsync("CCApi.Gateway", gateway);
        await ShouldExposeAsync("CCApi.JobStatus", [("ccapi_jobs_total", ["ccapi_job_state=\"completed\"", "gen_ai_provider_name=\"openai\""])]);
        await ShouldExposeAsync("CCApi.Catalog",
        [
            ("ccapi_provider_status", ["gen_ai_provider_name=\"openai\"", "ccapi_provider_status=\"available\"", "} 1"]),
            ("ccapi_provider_status", ["gen_ai_provider_name=\"openai\"", "ccapi_provider_status=\"unavailable\"", "} 0"]),
        ]);
    }

    /// <summary>Each series (metric name and labels, in any order) is on the service's scrape; the exporter caches a scrape briefly.</summary>
    private async Task ShouldExposeAsync(string service, (string Name, string[] Labels)[] series)
    {
        using var http = new HttpClient { BaseAddress = new Uri(Platform.ServiceUrl(service)) };
        string[] lines = [];
        bool Has((string Name, string[] Labels) s) =>
            lines.Any(l => l.StartsWith(s.Name + "{", StringComparison.Ordinal) && s.Labels.All(label => l.Contains(label, StringComparison.Ordinal)));
        var all = await TestInfrastructure.EventuallyAsync(async () =>
        {
            lines = (await http.GetStringAsync("/metrics")).Split('\n');
            return series.All(Has);
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(250));

        all.ShouldBeTrue($"{service} /metrics lacks: {string.Join(" | ", series.Where(s => !Has(s)).Select(s => s.Name + "{" + string.Join(",", s.Labels) + "}"))}\n"
            + string.Join("\n", lines.Where(l => l.StartsWith("gen_ai", StringComparison.Ordinal) || l.StartsWith("ccapi", StringComparison.Ordinal)).Take(40)));
    }
}

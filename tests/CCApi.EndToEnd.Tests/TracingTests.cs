using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace CCApi.EndToEnd.Tests;

/// <summary>
/// One request is one trace: the gateway's HTTP span, the bus, the adapter's provider call (with its GenAI attributes) and
/// its upstream HTTP call, and JobStatus's bookkeeping share a trace id.
/// </summary>
public sealed class TracingTests(PlatformFixture platform) : PlatformTest(platform)
{
    [Fact]
    public async Task One_trace_covers_gateway_adapter_and_jobstatus_for_an_async_image_job()
    {
        var traceId = ActivityTraceId.CreateRandom();
        using var client = Platform.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/images/generate")
        {
            Content = JsonContent.Create(new { model = "local/pixel-async-1", contents = new[] { new { text = "trace me" } }, parameters = new { width = 64, height = 64 } }),
        };
        request.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");

        var response = await client.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var pollUrl = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["poll_url"]!.GetValue<string>();
        (await TestInfrastructure.EventuallyAsync(async () =>
            JsonNode.Parse(await client.GetStringAsync(pollUrl))!["status"]!.GetValue<string>() == "completed",
            TimeSpan.FromSeconds(30))).ShouldBeTrue();

        // Spans are exported as they end; JobStatus's consume span ends right after the write the poll saw.
        var spans = await CollectAsync(traceId, ["CCApi.Gateway", "CCApi.Adapters.Local", "CCApi.JobStatus"], "ImageGenerated");
        spans["CCApi.Gateway"].ShouldContain(s => s.GetProperty("kind").GetString() == "Server");
        spans["CCApi.Adapters.Local"].ShouldContain(s => s.GetProperty("kind").GetString() == "Consumer");
        ShouldBeOneTree(spans);
    }

    [Fact]
    public async Task One_trace_covers_gateway_bus_provider_call_upstream_http_and_jobstatus_with_genai_attributes()
    {
        var traceId = ActivityTraceId.CreateRandom();
        Platform.OpenAI.Reset();
        using var client = Platform.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = "openai/gpt-4o-mini", messages = new[] { new { role = "user", content = "trace me upstream" } }, max_tokens = 32 }),
        };
        request.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");

        var response = await client.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());

        var spans = await CollectAsync(traceId, ["CCApi.Gateway", "CCApi.Adapters.OpenAI", "CCApi.JobStatus"], "ChatCompleted");
        spans["CCApi.Gateway"].ShouldContain(s => s.GetProperty("kind").GetString() == "Server");
        spans["CCApi.Adapters.OpenAI"].ShouldContain(s => s.GetProperty("kind").GetString() == "Consumer");

        // The provider call: a CLIENT span named "{operation} {model}" with the GenAI attributes...
        var provider = spans["CCApi.Adapters.OpenAI"]
            .Where(s => s.GetProperty("source").GetString() == "CCApi" && s.GetProperty("kind").GetString() == "Client").ShouldHaveSingleItem();
        provider.GetProperty("name").GetString().ShouldBe("chat gpt-4o-mini");
        provider.GetProperty("kind").GetString().ShouldBe("Client");
        var tags = provider.GetProperty("tags");
        tags.GetProperty("gen_ai.operation.name").GetString().ShouldBe("chat");
        tags.GetProperty("gen_ai.provider.name").GetString().ShouldBe("openai");
        tags.GetProperty("gen_ai.request.model").GetString().ShouldBe("gpt-4o-mini");
        tags.GetProperty("gen_ai.response.model").GetString().ShouldBe("gpt-4o-mini"); // what the emulator answered
        tags.GetProperty("gen_ai.response.id").GetString().ShouldNotBeNullOrEmpty();
        tags.GetProperty("gen_ai.request.max_tokens").GetString().ShouldBe("32");
        int.Parse(tags.GetProperty("gen_ai.usage.input_tokens").GetString()!, CultureInfo.InvariantCulture).ShouldBeGreaterThan(0);
        int.Parse(tags.GetProperty("gen_ai.usage.output_tokens").GetString()!, CultureInfo.InvariantCulture).ShouldBeGreaterThan(0);
        tags.GetProperty("gen_ai.response.finish_reasons").EnumerateArray().Select(e => e.GetString()).ShouldBe(["stop"]);

        // ...whose child is the HTTP call to the upstream (the emulator).
        var upstream = new Uri(Platform.OpenAI.BaseUrl);
        var children = spans["CCApi.Adapters.OpenAI"]
            .Where(s => s.GetProperty("parent_span_id").GetString() == provider.GetProperty("span_id").GetString())
            .Select(s => (Kind: s.GetProperty("kind").GetString(), Url: s.GetProperty("tags").TryGetProperty("url.full", out var url) ? url.GetString() : null))
            .ToList();
        children.ShouldContain(c => c.Kind == "Client" && c.Url != null && c.Url.StartsWith($"{upstream.Scheme}://{upstream.Authority}/", StringComparison.Ordinal),
            string.Join("; ", children));

        // The answer went back on the gateway's Redis channel (SynchronousReplies), in the same trace both ends.
        var published = spans["CCApi.Adapters.OpenAI"].Where(s => s.GetProperty("name").GetString() == "synchronous reply publish").ShouldHaveSingleItem();
        published.GetProperty("kind").GetString().ShouldBe("Producer");
        published.GetProperty("tags").GetProperty("messaging.system").GetString().ShouldBe("redis");
        var received = spans["CCApi.Gateway"].Where(s => s.GetProperty("name").GetString() == "synchronous reply receive").ShouldHaveSingleItem();
        received.GetProperty("kind").GetString().ShouldBe("Consumer");
        received.GetProperty("tags").GetProperty("messaging.destination.name").GetString()
            .ShouldBe(published.GetProperty("tags").GetProperty("messaging.destination.name").GetString());
        ShouldBeOneTree(spans);
    }

    /// <summary>Every span of the trace hangs off another span of the same trace, except the one whose parent is our caller's.</summary>
    private static void ShouldBeOneTree(Dictionary<string, List<JsonElement>> spans) => Roots(spans).ShouldBe(1);

    private static int Roots(Dictionary<string, List<JsonElement>> spans)
    {
        var everything = spans.Values.SelectMany(s => s).ToList();
        var ids = everything.Select(s => s.GetProperty("span_id").GetString()).ToHashSet();
        return everything.Count(s => !ids.Contains(s.GetProperty("parent_span_id").GetString()));
    }

    /// <summary>The trace's spans per service, once each has some, the gateway's request has ended and JobStatus has handled <paramref name="jobStatusEvent"/>.</summary>
    private async Task<Dictionary<string, List<JsonElement>>> CollectAsync(ActivityTraceId traceId, string[] services, string jobStatusEvent)
    {
        Dictionary<string, List<JsonElement>> spans = [];
        var all = await TestInfrastructure.EventuallyAsync(() =>
        {
            spans = services.ToDictionary(s => s, s => SpanFiles.Read(Platform.SpanFile(s), traceId.ToHexString()));
            // The gateway's server span ends (and is exported) only after the response has gone out.
            return Task.FromResult(spans.Values.All(list => list.Count > 0)
                && spans["CCApi.Gateway"].Any(s => s.GetProperty("kind").GetString() == "Server")
                && spans["CCApi.JobStatus"].Any(s => s.GetProperty("name").GetString()!.Contains(jobStatusEvent, StringComparison.Ordinal))
                // Spans are exported as they end, each process on its own: a consumer's span (the gateway's settlement,
                // JobStatus) can reach its file before the publish span it hangs off, so wait until the tree is whole.
                && Roots(spans) == 1);
        }, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(200));

        all.ShouldBeTrue(string.Join("; ", spans.Select(kv => $"{kv.Key}: {kv.Value.Count} spans")));
        return spans;
    }
}

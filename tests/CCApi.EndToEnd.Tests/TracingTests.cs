using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using CCApi.Testing;

namespace CCApi.EndToEnd.Tests;

/// <summary>One request is one trace: the gateway's HTTP span, the adapter's work and JobStatus's bookkeeping share a trace id.</summary>
[Collection(PlatformCollection.Name)]
public sealed class TracingTests(PlatformFixture platform)
{
    [Fact]
    public async Task One_trace_covers_gateway_adapter_and_jobstatus_for_an_async_image_job()
    {
        var traceId = ActivityTraceId.CreateRandom();
        using var client = platform.CreateClient();
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
        string[] services = ["CCApi.Gateway", "CCApi.Adapters.Local", "CCApi.JobStatus"];
        Dictionary<string, List<JsonElement>> spans = [];
        var all = await TestInfrastructure.EventuallyAsync(() =>
        {
            spans = services.ToDictionary(s => s, s => ReadSpans(platform.SpanFile(s), traceId.ToHexString()));
            return Task.FromResult(spans.Values.All(list => list.Count > 0)
                && spans["CCApi.JobStatus"].Any(s => s.GetProperty("name").GetString()!.Contains("ImageGenerated", StringComparison.Ordinal)));
        }, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(200));

        all.ShouldBeTrue(string.Join("; ", spans.Select(kv => $"{kv.Key}: {kv.Value.Count} spans")));
        spans["CCApi.Gateway"].ShouldContain(s => s.GetProperty("kind").GetString() == "Server");
        spans["CCApi.Adapters.Local"].ShouldContain(s => s.GetProperty("kind").GetString() == "Consumer");

        // Every span of the trace hangs off another span of the same trace, except the one whose parent is our caller's.
        var everything = spans.Values.SelectMany(s => s).ToList();
        var ids = everything.Select(s => s.GetProperty("span_id").GetString()).ToHashSet();
        everything.Count(s => !ids.Contains(s.GetProperty("parent_span_id").GetString())).ShouldBe(1);
    }

    private static List<JsonElement> ReadSpans(string file, string traceId)
    {
        if (!File.Exists(file))
        {
            return [];
        }

        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var result = new List<JsonElement>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                var span = JsonSerializer.Deserialize<JsonElement>(line);
                if (span.GetProperty("trace_id").GetString() == traceId)
                {
                    result.Add(span);
                }
            }
            catch (JsonException)
            {
                // a line being written right now
            }
        }

        return result;
    }
}

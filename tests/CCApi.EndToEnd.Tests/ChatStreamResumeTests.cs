using System.Text;

namespace CCApi.EndToEnd.Tests;

/// <summary>
/// Resuming a chat stream through the real processes: gateway → RabbitMQ → the OpenAI adapter process → the OpenAI
/// emulator, with the client cutting the connection while the provider is provably mid-stream (the emulator holds it).
/// </summary>
public sealed class ChatStreamResumeTests(PlatformFixture platform) : PlatformTest(platform)
{
    private Emulators.OpenAI.OpenAIEmulator Emulator => Platform.OpenAI;

    private sealed record SseEvent(string? Id, string Data);

    private static List<SseEvent> Parse(string body) =>
        [.. body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(block =>
        {
            var lines = block.Split('\n');
            var id = lines.FirstOrDefault(l => l.StartsWith("id: ", StringComparison.Ordinal))?[4..];
            return new SseEvent(id, string.Concat(lines.Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => l[6..])));
        })];

    private static string Text(IEnumerable<SseEvent> events) => string.Concat(events
        .Where(e => e.Data.StartsWith('{'))
        .Select(e => JsonNode.Parse(e.Data)!["choices"]?.AsArray().FirstOrDefault()?["delta"]?["content"]?.GetValue<string>()));

    private static HttpRequestMessage Resume(string id, string? lastEventId)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/chat/completions/{id}/stream");
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        return request;
    }

    [Fact]
    public async Task A_stream_cut_by_the_client_resumes_to_the_same_final_text_with_one_provider_call()
    {
        Emulator.Reset();
        Emulator.HoldStreams = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var http = Platform.CreateClient();
        var prompt = "Resume me " + Guid.NewGuid().ToString("N")[..8];
        var body = new { model = "openai/gpt-4o-mini", stream = true, stream_options = new { include_usage = true }, messages = new[] { new { role = "user", content = prompt } } };

        // 1. The original stream: read up to the first content, then cut the connection (the provider is held mid-stream).
        string jobId;
        var seen = new StringBuilder();
        using (var cut = new CancellationTokenSource())
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(body) };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cut.Token);
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            jobId = response.Headers.GetValues("x-ccapi-job-id").Single();
            var stream = await response.Content.ReadAsStreamAsync(cut.Token);
            var buffer = new byte[4096];
            while (Text(Parse(seen.ToString())).Length == 0 || !seen.ToString().EndsWith("\n\n", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, cut.Token);
                read.ShouldBePositive();
                seen.Append(Encoding.UTF8.GetString(buffer, 0, read));
            }

            await cut.CancelAsync();
        }

        var before = Parse(seen.ToString());
        before.ShouldAllBe(e => e.Id != null);
        before.Last().Data.ShouldNotBe("[DONE]");

        // 2. Reattach (headers arrive while the provider is still held), then let the provider finish.
        using var resumed = await http.SendAsync(Resume("chatcmpl-" + jobId, before[^1].Id), HttpCompletionOption.ResponseHeadersRead);
        resumed.StatusCode.ShouldBe(HttpStatusCode.OK);
        Emulator.HoldStreams.TrySetResult();
        var rest = await resumed.Content.ReadAsStringAsync();

        rest.ShouldEndWith("data: [DONE]\n\n");
        var after = Parse(rest);
        (Text(before) + Text(after)).ShouldBe("Emulated reply to: " + prompt);
        after.Where(e => e.Data.StartsWith('{')).ShouldAllBe(e => JsonNode.Parse(e.Data)!["id"]!.GetValue<string>() == "chatcmpl-" + jobId);
        after.Select(e => e.Id).Intersect(before.Select(e => e.Id)).ShouldBeEmpty(); // no repeats
        JsonNode.Parse(after[^2].Data)!["usage"]!["total_tokens"]!.GetValue<int>().ShouldBePositive();
        Emulator.Count("/v1/chat/completions").ShouldBe(1);

        // 3. After the end, the whole stream is still there, from Redis: the same text, still one provider call.
        using var replay = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/v1/chat/completions/{jobId}/stream"));
        var all = await replay.Content.ReadAsStringAsync();
        all.ShouldEndWith("data: [DONE]\n\n");
        Text(Parse(all)).ShouldBe("Emulated reply to: " + prompt);
        Parse(all).Select(e => e.Id).ShouldBe(before.Select(e => e.Id).Concat(after.Select(e => e.Id)));
        Emulator.Count("/v1/chat/completions").ShouldBe(1);
    }

    [Fact]
    public async Task Another_key_cannot_resume_the_stream_and_a_garbage_Last_Event_ID_is_a_400()
    {
        Emulator.Reset();
        using var http = Platform.CreateClient();
        using var response = await http.PostAsJsonAsync("/v1/chat/completions",
            new { model = "local/echo-1", stream = true, messages = new[] { new { role = "user", content = "mine" } } });
        var jobId = response.Headers.GetValues("x-ccapi-job-id").Single();
        (await response.Content.ReadAsStringAsync()).ShouldEndWith("data: [DONE]\n\n");

        using var admin = Platform.CreateClient(Platform.AdminApiKey);
        using var created = await admin.PostAsJsonAsync("/admin/v1/keys", new { name = "someone else" });
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        using var other = Platform.CreateClient((await created.Content.ReadFromJsonAsync<JsonNode>())!["key"]!.GetValue<string>());

        using var foreign = await other.SendAsync(Resume(jobId, null));
        foreign.StatusCode.ShouldBe(HttpStatusCode.NotFound);

        using var garbage = await http.SendAsync(Resume(jobId, "not-an-event-id"));
        garbage.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await garbage.Content.ReadFromJsonAsync<JsonNode>())!["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe("Last-Event-ID");
    }
}

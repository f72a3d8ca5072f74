using CCApi.Contracts;
using CCApi.Gateway.Http;
using CCApi.Storage;
using Microsoft.Extensions.Options;

namespace CCApi.Gateway.Tests;

/// <summary>GET /v1/chat/completions/{id}/stream: a lost stream continued from Redis, live or finished, for its owner only.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ChatStreamResumeTests(GatewayFixture gateway)
{
    private static string Request(string content) =>
        $$"""{"model":"local/echo-1","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"{{content}}"}]}""";

    private async Task<(string JobId, string Raw)> StreamAsync(string content)
    {
        var response = await gateway.PostJsonAsync("/v1/chat/completions", Request(content));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var jobId = response.Headers.GetValues(JobIds.Header).ShouldHaveSingleItem();
        return (jobId, await response.Content.ReadAsStringAsync());
    }

    private async Task<HttpResponseMessage> ResumeAsync(string id, string? lastEventId = null, string query = "", HttpClient? client = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/chat/completions/{id}/stream{query}");
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        return await (client ?? gateway.Client).SendAsync(request);
    }

    [Fact]
    public async Task The_streaming_response_names_its_job_in_the_header_and_the_chunk_ids()
    {
        var (jobId, raw) = await StreamAsync("named " + Guid.NewGuid().ToString("N"));

        Guid.TryParseExact(jobId, "N", out _).ShouldBeTrue();
        SseEvent.ParseAll(raw).Where(e => e.Data != "[DONE]").ShouldAllBe(e => e.Json["id"]!.GetValue<string>() == "chatcmpl-" + jobId);
    }

    [Fact]
    public async Task Resumes_a_finished_stream_after_the_last_event_id_with_the_same_events_and_ending()
    {
        var (jobId, raw) = await StreamAsync("finished " + Guid.NewGuid().ToString("N"));
        var original = SseEvent.ParseAll(raw);

        var response = await ResumeAsync("chatcmpl-" + jobId, lastEventId: original[1].Id);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        response.Headers.GetValues(JobIds.Header).ShouldHaveSingleItem().ShouldBe(jobId);
        var body = await response.Content.ReadAsStringAsync();
        body.ShouldBe(raw[(raw.IndexOf("id: " + original[2].Id, StringComparison.Ordinal))..]);
        body.ShouldEndWith("data: [DONE]\n\n");
    }

    [Fact]
    public async Task Replays_the_whole_stream_for_the_bare_job_id_without_a_position()
    {
        var (jobId, raw) = await StreamAsync("whole " + Guid.NewGuid().ToString("N"));

        var response = await ResumeAsync(jobId);

        (await response.Content.ReadAsStringAsync()).ShouldBe(raw);
    }

    [Fact]
    public async Task Takes_the_position_from_the_after_query_parameter()
    {
        var (jobId, raw) = await StreamAsync("query " + Guid.NewGuid().ToString("N"));
        var original = SseEvent.ParseAll(raw);

        var response = await ResumeAsync(jobId, query: "?after=" + original[3].Id);

        SseEvent.ParseAll(await response.Content.ReadAsStringAsync()).Select(e => e.Id).ShouldBe(original.Skip(4).Select(e => e.Id));
    }

    [Fact]
    public async Task Sends_the_ending_again_to_a_client_that_already_had_the_last_event()
    {
        var (jobId, raw) = await StreamAsync("ended " + Guid.NewGuid().ToString("N"));
        var last = SseEvent.ParseAll(raw)[^1];

        var response = await ResumeAsync(jobId, lastEventId: last.Id);

        (await response.Content.ReadAsStringAsync()).ShouldBe($"id: {last.Id}\ndata: [DONE]\n\n");
    }

    [Fact]
    public async Task Ends_a_resumed_failed_stream_with_the_same_error_event_and_no_DONE()
    {
        var (jobId, raw) = await StreamAsync("[stream-error-after-content] " + Guid.NewGuid().ToString("N"));
        var original = SseEvent.ParseAll(raw);

        var body = await (await ResumeAsync(jobId, lastEventId: original[0].Id)).Content.ReadAsStringAsync();

        body.ShouldNotContain("[DONE]");
        var events = SseEvent.ParseAll(body);
        events.Count.ShouldBe(2);
        events[1].Json["error"]!["message"]!.GetValue<string>().ShouldBe("upstream broke");
        events[1].Id.ShouldBe(original[2].Id);
    }

    /// <summary>PUBSUB NUMSUB of the job's notification channel: the gateway's readers of the stream (one connection for all).</summary>
    private async Task<long> SubscribersAsync(Guid job)
    {
        var result = await gateway.Redis.GetDatabase().ExecuteAsync("PUBSUB", "NUMSUB", RedisKeys.JobStreamChannel(job));
        return (long)((StackExchange.Redis.RedisResult[])result!)[1];
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_resumes_live_with_no_second_provider_call_and_no_cancel()
    {
        var marker = "[stream-stall] " + Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(Request(marker), Encoding.UTF8, "application/json"),
        };
        using var cancel = new CancellationTokenSource();
        var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var jobId = response.Headers.GetValues(JobIds.Header).Single();
        var seen = await GatewayFixture.ReadUntilAsync(response, "\"first\"", cancel.Token);

        await cancel.CancelAsync();
        response.Dispose();
        var lastSeen = SseEvent.ParseAll(seen)[^1];
        lastSeen.Json["choices"]![0]!["delta"]!["content"]!.GetValue<string>().ShouldBe("first");

        // The gateway keeps following the job after the disconnect (to settle it at its end), and the resumed reader is live:
        // its headers are out before the still running job appends the rest.
        var job = Guid.ParseExact(jobId, "N");
        (await TestInfrastructure.EventuallyAsync(async () => await SubscribersAsync(job) == 1,
            TimeSpan.FromSeconds(15))).ShouldBeTrue("nobody follows the job after its client left");
        using var resumed = await gateway.Client.SendAsync(
            new HttpRequestMessage(HttpMethod.Get, $"/v1/chat/completions/chatcmpl-{jobId}/stream") { Headers = { { "Last-Event-ID", lastSeen.Id } } },
            HttpCompletionOption.ResponseHeadersRead);
        var streams = new ChatStreams(gateway.Redis, Options.Create(new RedisOptions { ConnectionString = TestInfrastructure.Redis }));
        await streams.AppendAsync(job, new ChatStreamDelta { Content = " second" });
        await streams.AppendAsync(job, new ChatStreamDelta { FinishReason = "stop" });
        await streams.AppendAsync(job, new ChatStreamDelta { Usage = new Usage { PromptTokens = 3, CompletionTokens = 2, TotalTokens = 5 } });
        await streams.AppendAsync(job, new ChatStreamDelta { Done = true });

        resumed.StatusCode.ShouldBe(HttpStatusCode.OK);
        var events = SseEvent.ParseAll(await resumed.Content.ReadAsStringAsync());

        events.Count.ShouldBe(4);
        events[0].Json["choices"]![0]!["delta"]!["content"]!.GetValue<string>().ShouldBe(" second");
        events[0].Json["id"]!.GetValue<string>().ShouldBe("chatcmpl-" + jobId);
        events[2].Json["usage"]!["total_tokens"]!.GetValue<int>().ShouldBe(5);
        events[3].Data.ShouldBe("[DONE]");
        gateway.Providers.ChatCommands.Values.Count(c => c.Messages.Any(m => m.Content == marker)).ShouldBe(1);
        gateway.Providers.CanceledEvents.ContainsKey(job).ShouldBeFalse();
        (await TestInfrastructure.EventuallyAsync(async () => await SubscribersAsync(job) == 0,
            TimeSpan.FromSeconds(15))).ShouldBeTrue("a reader still follows the ended job");
    }

    [Fact]
    public async Task Another_keys_stream_is_not_found()
    {
        var (jobId, _) = await StreamAsync("mine " + Guid.NewGuid().ToString("N"));

        var response = await ResumeAsync(jobId, client: gateway.OtherClient);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await GatewayFixture.ReadJsonAsync(response))["error"]!["code"]!.GetValue<string>().ShouldBe("not_found");
    }

    [Theory]
    [InlineData("nonsense")]
    [InlineData("chatcmpl-xyz")]
    [InlineData("img_00000000000000000000000000000000")]
    [InlineData("chatcmpl-00000000000000000000000000000000")]
    public async Task Malformed_or_unknown_ids_are_not_found(string id)
    {
        var response = await ResumeAsync(id);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await GatewayFixture.ReadJsonAsync(response))["error"]!["type"]!.GetValue<string>().ShouldBe("invalid_request_error");
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("12-ab")]
    [InlineData("-1")]
    [InlineData("1-2-3")]
    [InlineData("99999999999999999999-0")]                    // past 64 bits: Redis refuses it
    [InlineData("18446744073709551615-18446744073709551615")] // the last id: Redis refuses to read after it
    public async Task A_garbage_Last_Event_ID_is_a_400_naming_the_header(string value)
    {
        var (jobId, _) = await StreamAsync("bad header " + Guid.NewGuid().ToString("N"));

        var response = await ResumeAsync(jobId, lastEventId: value);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var error = (await GatewayFixture.ReadJsonAsync(response))["error"]!;
        error["details"]!["param"]!.GetValue<string>().ShouldBe("Last-Event-ID");
        error["message"]!.GetValue<string>().ShouldContain("Last-Event-ID");
    }

    [Fact]
    public async Task A_garbage_after_parameter_is_a_400_naming_it()
    {
        var (jobId, _) = await StreamAsync("bad after " + Guid.NewGuid().ToString("N"));

        var response = await ResumeAsync(jobId, query: "?after=x");

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await GatewayFixture.ReadJsonAsync(response))["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe("after");
        // Beside a good Last-Event-ID too (the header wins, but a bad value is not passed over in silence).
        var beside = await ResumeAsync(jobId, lastEventId: "0-0", query: "?after=x");
        beside.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await GatewayFixture.ReadJsonAsync(beside))["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe("after");
    }

    [Fact]
    public async Task Requires_an_api_key()
    {
        var response = await gateway.Anonymous.GetAsync($"/v1/chat/completions/{Guid.NewGuid():N}/stream");

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("1733300000000-0", true)]
    [InlineData("1733300000000", true)]
    [InlineData("0-0", true)]
    [InlineData("", false)]
    [InlineData("abc", false)]
    [InlineData("1-", false)]
    [InlineData("-", false)]
    [InlineData("1 -2", false)]
    [InlineData("99999999999999999999999-0", false)]
    public void Parses_only_stream_entry_ids(string value, bool valid) =>
        ChatStreams.TryParseEntryId(value, out _).ShouldBe(valid);

    [Theory]
    [InlineData("chatcmpl-0123456789abcdef0123456789abcdef", true)]
    [InlineData("0123456789abcdef0123456789abcdef", true)]
    [InlineData("01234567-89ab-cdef-0123-456789abcdef", true)]
    [InlineData("chatcmpl-", false)]
    [InlineData("chatcmpl-0123456789abcdef0123456789abcdeg", false)]
    [InlineData("img_0123456789abcdef0123456789abcdef", false)]
    public void Accepts_chatcmpl_and_bare_job_ids(string id, bool valid) =>
        ChatStreamResume.TryParseId(id, out _).ShouldBe(valid);

    [Fact]
    public async Task The_OpenAPI_document_lists_the_resume_route_with_its_position_header()
    {
        var document = await gateway.OpenApiAsync();

        var get = document["paths"]!["/v1/chat/completions/{id}/stream"]!["get"]!;
        get["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ShouldBe(["id", "Last-Event-ID", "after"], ignoreOrder: true);
        get["responses"]!["200"]!["content"]!.AsObject().ContainsKey("text/event-stream").ShouldBeTrue();
        get["responses"]!.AsObject().ContainsKey("404").ShouldBeTrue();
    }
}

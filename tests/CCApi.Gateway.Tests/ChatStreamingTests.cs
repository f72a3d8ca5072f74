using CCApi.Gateway.Dispatch;
using CCApi.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace CCApi.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class ChatStreamingTests(GatewayFixture gateway)
{
    private static string Request(string content, bool includeUsage = true, string models = "\"model\":\"local/echo-1\"") =>
        "{" + models + $$""","stream":true,"stream_options":{"include_usage":{{(includeUsage ? "true" : "false")}}},"messages":[{"role":"user","content":"{{content}}"}]}""";

    private async Task<(HttpResponseMessage Response, List<SseEvent> Events, string Raw)> StreamAsync(string json)
    {
        var response = await gateway.PostJsonAsync("/v1/chat/completions", json);
        var raw = await response.Content.ReadAsStringAsync();
        return (response, SseEvent.ParseAll(raw), raw);
    }

    [Fact]
    public async Task Streams_role_content_finish_and_usage_chunks_then_DONE_with_stream_ids()
    {
        var (response, events, raw) = await StreamAsync(Request("stream " + Guid.NewGuid().ToString("N")));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        response.Headers.CacheControl!.NoCache.ShouldBeTrue();
        raw.ShouldEndWith("data: [DONE]\n\n");
        events.Count.ShouldBe(6);
        events.ShouldAllBe(e => e.Id != null && e.Id.Contains('-'));
        events.Select(e => e.Id).Distinct().Count().ShouldBe(6);

        var chunks = events.Take(5).Select(e => e.Json).ToList();
        chunks.ShouldAllBe(c => c["object"]!.GetValue<string>() == "chat.completion.chunk");
        chunks.Select(c => c["id"]!.GetValue<string>()).Distinct().ShouldHaveSingleItem().ShouldStartWith("chatcmpl-");
        chunks.ShouldAllBe(c => c["model"]!.GetValue<string>() == "local/echo-1" && c["provider"]!.GetValue<string>() == "local");
        chunks[0]["choices"]![0]!["delta"]!["role"]!.GetValue<string>().ShouldBe("assistant");
        chunks[0]["choices"]![0]!["delta"]!["content"]!.GetValue<string>().ShouldBe("");
        chunks[1]["choices"]![0]!["delta"]!["content"]!.GetValue<string>().ShouldBe("Hello");
        chunks[2]["choices"]![0]!["delta"]!["content"]!.GetValue<string>().ShouldBe(" world");
        chunks[2]["choices"]![0]!.AsObject().ContainsKey("finish_reason").ShouldBeTrue();
        chunks[2]["choices"]![0]!["finish_reason"].ShouldBeNull();
        chunks[3]["choices"]![0]!["finish_reason"]!.GetValue<string>().ShouldBe("stop");
        chunks[3]["choices"]![0]!["delta"]!.AsObject().Count.ShouldBe(0);
        chunks[4]["choices"]!.AsArray().Count.ShouldBe(0);
        chunks[4]["usage"]!["total_tokens"]!.GetValue<int>().ShouldBe(5);
        chunks.Take(4).ShouldAllBe(c => !c.AsObject().ContainsKey("usage"));
        events[5].Data.ShouldBe("[DONE]");
    }

    [Fact]
    public async Task The_usage_chunk_carries_the_providers_cached_and_reasoning_tokens()
    {
        var (_, events, raw) = await StreamAsync(Request("[usage-details] " + Guid.NewGuid().ToString("N")));

        var usage = events.Single(e => e.Data != "[DONE]" && e.Json["usage"] is JsonObject).Json["usage"]!;
        usage["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>().ShouldBe(2, raw);
        usage["completion_tokens_details"]!["reasoning_tokens"]!.GetValue<int>().ShouldBe(1);
        usage["prompt_tokens"]!.GetValue<int>().ShouldBe(3);
    }

    [Fact]
    public async Task Leaves_out_the_usage_chunk_unless_include_usage_is_set()
    {
        var (_, events, raw) = await StreamAsync(Request("no usage " + Guid.NewGuid().ToString("N"), includeUsage: false));
        events.Count.ShouldBe(5, raw);

        events.Count.ShouldBe(5);
        events[^1].Data.ShouldBe("[DONE]");
        events.Take(4).ShouldAllBe(e => !e.Json.AsObject().ContainsKey("usage"));
    }

    [Fact]
    public async Task Streams_tool_call_deltas_in_OpenAI_form()
    {
        var (_, events, _) = await StreamAsync(Request("[stream-tools] " + Guid.NewGuid().ToString("N")));

        var calls = events.Where(e => e.Data != "[DONE]")
            .Select(e => e.Json["choices"]!.AsArray().FirstOrDefault()?["delta"]?["tool_calls"])
            .Where(t => t is not null).Select(t => t![0]!).ToList();
        calls.Count.ShouldBe(3);
        calls[0]["index"]!.GetValue<int>().ShouldBe(0);
        calls[0]["id"]!.GetValue<string>().ShouldBe("call_9");
        calls[0]["type"]!.GetValue<string>().ShouldBe("function");
        calls[0]["function"]!["name"]!.GetValue<string>().ShouldBe("get_weather");
        calls[0]["function"]!["arguments"]!.GetValue<string>().ShouldBe("");
        string.Concat(calls.Skip(1).Select(c => c["function"]!["arguments"]!.GetValue<string>())).ShouldBe("""{"city":"Paris"}""");
        calls[1].AsObject().ContainsKey("id").ShouldBeFalse();
        events.Single(e => e.Data != "[DONE]" && e.Json["choices"]!.AsArray().FirstOrDefault()?["finish_reason"] is not null)
            .Json["choices"]![0]!["finish_reason"]!.GetValue<string>().ShouldBe("tool_calls");
    }

    [Fact]
    public async Task A_streams_command_names_the_gateways_channel_and_the_stream_arrives_whole()
    {
        // The channel its notifications come on (routed to the reader, ChatStreams.ReadNewAsync; that no subscription is made
        // is RedisStorageTests' to show).
        var calls = gateway.Factory.Services.GetRequiredService<SynchronousCalls>();
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(calls.ListeningOnRedis), TimeSpan.FromSeconds(10))).ShouldBeTrue();
        var marker = "notified " + Guid.NewGuid().ToString("N");

        var (response, events, raw) = await StreamAsync(Request(marker));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        raw.ShouldEndWith("data: [DONE]\n\n");
        events.Count.ShouldBe(6, raw);
        var jobId = gateway.Providers.FindChat(marker)!.JobId;
        SynchronousReplies.IsChannelName(gateway.Providers.ChatCommandChannel[jobId]).ShouldBeTrue();
    }

    [Fact]
    public async Task A_stream_whose_adapter_notifies_only_the_jobs_own_channel_still_arrives_whole_and_in_order()
    {
        // An adapter older than the gateway's channel for stream notifications: the reader finds the entries when it polls,
        // then subscribes to the job's channel.
        var (response, events, raw) = await StreamAsync(Request("[legacy-adapter] " + Guid.NewGuid().ToString("N")));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        raw.ShouldEndWith("data: [DONE]\n\n");
        events.Count.ShouldBe(6, raw);
        events[1].Json["choices"]![0]!["delta"]!["content"]!.GetValue<string>().ShouldBe("Hello");
        events[2].Json["choices"]![0]!["delta"]!["content"]!.GetValue<string>().ShouldBe(" world");
        events[4].Json["usage"]!["total_tokens"]!.GetValue<int>().ShouldBe(5);
    }

    [Fact]
    public async Task Ends_with_an_error_event_and_no_DONE_when_the_provider_fails_after_content()
    {
        var (response, events, raw) = await StreamAsync(Request("[stream-error-after-content] " + Guid.NewGuid().ToString("N")));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        raw.ShouldNotContain("[DONE]");
        events.Count.ShouldBe(3);
        events[1].Json["choices"]![0]!["delta"]!["content"]!.GetValue<string>().ShouldBe("partial");
        var error = events[2].Json["error"]!;
        error["message"]!.GetValue<string>().ShouldBe("upstream broke");
        error["type"]!.GetValue<string>().ShouldBe("api_error");
        error["code"]!.GetValue<string>().ShouldBe("provider_error");
    }

    [Fact]
    public async Task Fails_over_to_the_next_model_when_the_stream_fails_before_any_content()
    {
        var (response, events, raw) = await StreamAsync(Request("[openai-fails] " + Guid.NewGuid().ToString("N"),
            models: "\"models\":[\"openai/gpt-4o-mini\",\"local/echo-1\"]"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        raw.ShouldEndWith("data: [DONE]\n\n");
        events.Where(e => e.Data != "[DONE]").ShouldAllBe(e => e.Json["model"]!.GetValue<string>() == "local/echo-1");
    }

    [Fact]
    public async Task Answers_a_plain_JSON_error_when_the_only_model_fails_before_any_content()
    {
        var response = await gateway.PostJsonAsync("/v1/chat/completions", Request("[fail:429] " + Guid.NewGuid().ToString("N")));

        response.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        (await GatewayFixture.ReadJsonAsync(response))["error"]!["message"]!.GetValue<string>().ShouldBe("fake provider failed with 429");
    }
}

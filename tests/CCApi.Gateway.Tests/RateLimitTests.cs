using System.ClientModel;
using System.Globalization;
using System.Text;
using CCApi.Contracts;
using CCApi.Gateway.Dispatch;
using CCApi.Gateway.Limits;
using CCApi.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenAI.Chat;

namespace CCApi.Gateway.Tests;

/// <summary>
/// Per-key RPM, TPM and concurrency, enforced in Redis and shared by every gateway host: exact counts, OpenAI's headers,
/// 429 with Retry-After, token estimates corrected to the reported usage, slots freed after errors and disconnects (or by
/// their lease's expiry), 503 when Redis is gone. Limits are small so that refills (one request or token every few
/// seconds) cannot change a count between two consecutive requests.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class RateLimitTests(GatewayFixture gateway)
{
    private static string Chat(string content, bool stream = false) =>
        $$"""{"model":"local/echo-1","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"{{content}}"}]}""";

    private Task<HttpResponseMessage> ChatAsync(HttpClient client, string content) => gateway.PostJsonAsync("/v1/chat/completions", Chat(content), client);

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : throw new ShouldAssertException($"no {name} header (HTTP {(int)response.StatusCode})");

    private static long Number(HttpResponseMessage response, string name) => long.Parse(Header(response, name), CultureInfo.InvariantCulture);

    private static async Task ShouldBeRateLimitedAsync(HttpResponseMessage response, string limit)
    {
        var error = await GatewayFixture.ShouldBeErrorAsync(response, HttpStatusCode.TooManyRequests, "rate_limit_error", "rate_limit_exceeded");
        error["details"]!["limit"]!.GetValue<string>().ShouldBe(limit);
        var retryAfter = response.Headers.RetryAfter.ShouldNotBeNull().Delta.ShouldNotBeNull();
        retryAfter.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1));
        error["details"]!["retry_after"]!.GetValue<string>().ShouldBe(((long)retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture));
    }

    private Task<long> InFlightAsync(string keyId) => gateway.Redis.GetDatabase().SortedSetLengthAsync(RedisKeys.ApiKeyInFlight(keyId));

    private async Task ShouldReleaseEverySlotAsync(string keyId) =>
        (await TestInfrastructure.EventuallyAsync(async () => await InFlightAsync(keyId) == 0, TimeSpan.FromSeconds(15))).ShouldBeTrue("a concurrency slot was not released");

    [Fact]
    public async Task Rpm_admits_exactly_the_limit_then_answers_429_with_retry_after_and_openai_headers()
    {
        var (_, client) = await gateway.CreateKeyAsync("""{"name":"rpm","limits":{"rpm":3}}""");
        using var _ = client;
        var marker = Guid.NewGuid().ToString("N");

        var served = new List<HttpResponseMessage>();
        for (var i = 0; i < 3; i++)
        {
            served.Add(await ChatAsync(client, $"rpm {marker} {i}"));
        }

        var refused = await ChatAsync(client, $"rpm {marker} refused");

        served.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK);
        served.Select(r => Number(r, "x-ratelimit-limit-requests")).ShouldAllBe(limit => limit == 3);
        served.Select(r => Number(r, "x-ratelimit-remaining-requests")).ToArray().ShouldBe(new long[] { 2, 1, 0 });
        Header(served[0], "x-ratelimit-reset-requests").ShouldBe("20s"); // one request comes back every 60/3 s
        served[0].Headers.Contains("x-ratelimit-limit-tokens").ShouldBeFalse(); // no tpm on this key
        await ShouldBeRateLimitedAsync(refused, "requests");
        Number(refused, "x-ratelimit-remaining-requests").ShouldBe(0);
        refused.Headers.RetryAfter!.Delta!.Value.ShouldBeLessThanOrEqualTo(TimeSpan.FromSeconds(20));
        gateway.Providers.FindChat($"rpm {marker} refused").ShouldBeNull();
    }

    private async Task PatchLimitsAsync(string id, string limits)
    {
        using var patch = new HttpRequestMessage(HttpMethod.Patch, "/admin/v1/keys/" + id)
        {
            Content = new StringContent($$"""{"limits":{{limits}}}""", Encoding.UTF8, "application/json"),
        };
        (await gateway.Admin.SendAsync(patch)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_raised_rpm_carries_over_the_requests_made_not_the_old_limits_clock()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"raised","limits":{"rpm":5}}""");
        using var _ = client;
        for (var i = 0; i < 5; i++)
        {
            (await ChatAsync(client, $"raised {i}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await ShouldBeRateLimitedAsync(await ChatAsync(client, "raised refused"), "requests");

        await PatchLimitsAsync(id, """{"rpm":1000}""");
        var after = await ChatAsync(client, "raised after");

        // 5 requests (and the refused one, uncharged) in the last minute at 1,000 a minute: 994 left, more as time passes.
        // The old limit's state, 60 s ahead, read at the new rate was 1,000 requests used: a 429, or next to nothing left.
        after.StatusCode.ShouldBe(HttpStatusCode.OK);
        Number(after, "x-ratelimit-limit-requests").ShouldBe(1000);
        Number(after, "x-ratelimit-remaining-requests").ShouldBeGreaterThanOrEqualTo(994);
    }

    [Fact]
    public async Task A_lowered_rpm_counts_the_requests_already_made()
    {
        // At 60 a minute each request takes one second of the bucket, so 10 made in a few seconds leave it more than 5
        // requests deep however slow the machine (GCRA's backlog drains in real time: it is what the rescale carries).
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"lowered","limits":{"rpm":60}}""");
        using var _ = client;
        for (var i = 0; i < 10; i++)
        {
            (await ChatAsync(client, $"lowered {i}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await PatchLimitsAsync(id, """{"rpm":5}""");

        // More than 5 of the new limit's requests used: refused. The old state (seconds ahead) read at one request every
        // 12 s was less than one request used.
        await ShouldBeRateLimitedAsync(await ChatAsync(client, "lowered refused"), "requests");
    }

    [Fact]
    public async Task Get_key_shows_what_remains_of_each_limit_without_charging_it()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"remaining","limits":{"rpm":5,"tpm":10,"concurrency":3}}""");
        using var _ = client;
        var speech = await gateway.PostJsonAsync("/v1/audio/speech", """{"model":"local/espeak-1","input":"sixteen chars...","voice":"alloy"}""", client);
        speech.StatusCode.ShouldBe(HttpStatusCode.OK);
        await ShouldReleaseEverySlotAsync(id);

        var first = await client.GetAsync("/v1/key");
        var second = await client.GetAsync("/v1/key"); // reading charges nothing
        var remaining = (await GatewayFixture.ReadJsonAsync(second))["remaining"]!;
        var admin = await GatewayFixture.ReadJsonAsync(await gateway.Admin.GetAsync("/admin/v1/keys/" + id));

        remaining["requests"]!.GetValue<long>().ShouldBe(4);
        remaining["tokens"]!.GetValue<long>().ShouldBe(6); // 16 characters = 4 tokens
        remaining["concurrency"]!.GetValue<long>().ShouldBe(3);
        Number(first, "x-ratelimit-remaining-requests").ShouldBe(4);
        Number(second, "x-ratelimit-remaining-requests").ShouldBe(4);
        Number(second, "x-ratelimit-remaining-tokens").ShouldBe(6);
        admin.AsObject().ContainsKey("remaining").ShouldBeFalse();
    }

    [Fact]
    public async Task Limits_of_millions_a_minute_are_counted_exactly()
    {
        // Counted in whole microseconds per request, 7 M rpm read as 7.5 M and 150 M tpm was capped at 60 M a minute.
        var (_, client) = await gateway.CreateKeyAsync("""{"name":"tier5","limits":{"rpm":7000000,"tpm":150000000}}""");
        using var _ = client;

        var fresh = (await GatewayFixture.ReadJsonAsync(await client.GetAsync("/v1/key")))["remaining"]!;
        var chat = await ChatAsync(client, "tier five");

        fresh["requests"]!.GetValue<long>().ShouldBe(7_000_000);
        fresh["tokens"]!.GetValue<long>().ShouldBe(150_000_000);
        chat.StatusCode.ShouldBe(HttpStatusCode.OK);
        Number(chat, "x-ratelimit-limit-requests").ShouldBe(7_000_000);
        Number(chat, "x-ratelimit-remaining-requests").ShouldBe(6_999_999);
        Number(chat, "x-ratelimit-remaining-tokens").ShouldBeInRange(149_990_000, 149_999_999); // less the prompt's estimate
    }

    [Fact]
    public async Task The_bootstrap_key_without_limits_gets_no_rate_limit_headers()
    {
        var response = await ChatAsync(gateway.Client, "unlimited");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Headers.Where(h => h.Key.StartsWith("x-ratelimit-", StringComparison.OrdinalIgnoreCase)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Tpm_charges_the_estimate_on_admission_and_refuses_a_request_that_does_not_fit()
    {
        var (_, client) = await gateway.CreateKeyAsync("""{"name":"tpm","limits":{"tpm":10}}""");
        using var _ = client;
        const string Speech = """{"model":"local/espeak-1","input":"sixteen chars...","voice":"alloy"}"""; // 16 characters = 4 tokens

        var first = await gateway.PostJsonAsync("/v1/audio/speech", Speech, client);
        var second = await gateway.PostJsonAsync("/v1/audio/speech", Speech, client);
        var third = await gateway.PostJsonAsync("/v1/audio/speech", Speech, client);

        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        second.StatusCode.ShouldBe(HttpStatusCode.OK);
        Number(first, "x-ratelimit-limit-tokens").ShouldBe(10);
        Number(first, "x-ratelimit-remaining-tokens").ShouldBe(6);
        Header(first, "x-ratelimit-reset-tokens").ShouldBe("24s"); // 4 tokens at 6 s each
        Number(second, "x-ratelimit-remaining-tokens").ShouldBe(2);
        await ShouldBeRateLimitedAsync(third, "tokens");
        Number(third, "x-ratelimit-remaining-tokens").ShouldBe(2);
        third.Headers.RetryAfter!.Delta!.Value.ShouldBeLessThanOrEqualTo(TimeSpan.FromSeconds(12)); // 2 more tokens
    }

    [Fact]
    public async Task An_inline_image_is_admitted_and_reserved_at_the_models_tokens_per_image_not_as_its_base64()
    {
        // 400 KB of base64 would be 100k tokens as text (over this key's TPM) and 128k reserved (the window, over its
        // credits); the catalog says gpt-4o-mini bills an image as at most 48,169 tokens.
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"vision","credits_usd":0.009,"limits":{"tpm":60000}}""");
        using var _ = client;
        var text = "what is in this image? " + Guid.NewGuid().ToString("N");
        var image = "data:image/png;base64," + new string('A', 400_000);
        var body = $$$$"""{"model":"openai/gpt-4o-mini","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"{{{{text}}}}"},{"type":"image_url","image_url":{"url":"{{{{image}}}}"}}]}]}""";

        var response = await gateway.PostJsonAsync("/v1/chat/completions", body, client);

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        Number(response, "x-ratelimit-remaining-tokens").ShouldBe(60_000 - (TokenEstimate.FromCharacters(text.Length) + 48_169));
        gateway.Providers.FindChat(text).ShouldNotBeNull().Messages[0].ContentPartsJson.ShouldNotBeNull().ShouldContain(image); // sent as it came
        await ShouldReleaseEverySlotAsync(id);

        // The local echo-1 takes images without looking at them, and says so in its catalog entry (image_input_tokens 0).
        var remaining = Number(response, "x-ratelimit-remaining-tokens");
        var echo = await gateway.PostJsonAsync("/v1/chat/completions", body.Replace("openai/gpt-4o-mini", "local/echo-1", StringComparison.Ordinal), client);
        echo.StatusCode.ShouldBe(HttpStatusCode.OK, await echo.Content.ReadAsStringAsync());
        Number(echo, "x-ratelimit-remaining-tokens").ShouldBeGreaterThanOrEqualTo(remaining - TokenEstimate.FromCharacters(text.Length));
        await ShouldReleaseEverySlotAsync(id);
    }

    [Fact]
    public async Task A_large_prompt_is_counted_only_with_its_keys_permit_and_refused_past_the_keys_line()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"large","limits":{"rpm":1000}}""");
        using var _ = client;
        var gate = gateway.Factory.Services.GetRequiredService<LargePromptGate>();
        var options = gateway.Factory.Services.GetRequiredService<IOptions<LargePromptOptions>>().Value;
        var marker = Guid.NewGuid().ToString("N");
        var words = string.Join(' ', Enumerable.Repeat("word", (options.Characters / 5) + 1)); // over the size, within gpt-4o-mini's window
        string Large(string tag) => $$"""{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"{{marker}} {{tag}} {{words}}"}]}""";

        // The key's permit is taken: its large request waits, unsent, until it is given back.
        var held = await gate.EnterKeyAsync(id, CancellationToken.None);
        var waiting = gateway.PostJsonAsync("/v1/chat/completions", Large("waits"), client);
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        waiting.IsCompleted.ShouldBeFalse("a large prompt was counted without its key's permit");
        gateway.Providers.FindChat($"{marker} waits").ShouldBeNull();
        held.Dispose();
        (await waiting).StatusCode.ShouldBe(HttpStatusCode.OK);

        // With the permit taken and the key's line full, one more is 429 at once; small requests never wait.
        held = await gate.EnterKeyAsync(id, CancellationToken.None);
        var line = Enumerable.Range(0, options.PerKeyQueue).Select(_ => gate.EnterKeyAsync(id, CancellationToken.None).AsTask()).ToList();
        var refused = await gateway.PostJsonAsync("/v1/chat/completions", Large("refused"), client);
        await ShouldBeRateLimitedAsync(refused, "large_prompts");
        gateway.Providers.FindChat($"{marker} refused").ShouldBeNull();
        (await ChatAsync(client, "small " + marker)).StatusCode.ShouldBe(HttpStatusCode.OK);

        held.Dispose();
        foreach (var next in line)
        {
            (await next.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        }

        (await gateway.PostJsonAsync("/v1/chat/completions", Large("after"), client)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_large_prompt_with_an_idempotency_key_is_read_only_with_its_keys_permit()
    {
        // The idempotency filter reads and hashes the body before the handler; for a large prompt it takes the key's permit
        // first. Had it read the body without it, the first request would hold its Idempotency-Key while waiting, and its
        // retry would be 409 at once.
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"large-idempotent","limits":{"rpm":1000}}""");
        using var _ = client;
        var gate = gateway.Factory.Services.GetRequiredService<LargePromptGate>();
        var options = gateway.Factory.Services.GetRequiredService<IOptions<LargePromptOptions>>().Value;
        var marker = Guid.NewGuid().ToString("N");
        var words = string.Join(' ', Enumerable.Repeat("word", (options.Characters / 5) + 1));
        var body = $$"""{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"{{marker}} {{words}}"}]}""";
        Task<HttpResponseMessage> Send()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("Idempotency-Key", marker);
            return client.SendAsync(request);
        }

        var held = await gate.EnterKeyAsync(id, CancellationToken.None);
        var first = Send();
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        var retry = Send();
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        first.IsCompleted.ShouldBeFalse("a large prompt was read without its key's permit");
        retry.IsCompleted.ShouldBeFalse("the retry found the first request's Idempotency-Key taken: its body was read without the key's permit");
        gateway.Providers.FindChat(marker).ShouldBeNull();

        held.Dispose();
        (await first).StatusCode.ShouldBe(HttpStatusCode.OK);
        var second = await retry; // after the first: its replay, or 409 while the first still runs (its permit went back at admission)
        if (second.StatusCode == HttpStatusCode.OK)
        {
            second.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        }
        else
        {
            await GatewayFixture.ShouldBeErrorAsync(second, HttpStatusCode.Conflict, "invalid_request_error", "idempotency_key_in_use");
        }
    }

    [Fact]
    public async Task A_chat_completion_is_charged_its_reported_usage_once_it_ends_not_its_estimate()
    {
        // The fake adapter reports 12 total tokens; the request is admitted on an estimate of 9 (36 characters / 4).
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"tpm-json","limits":{"tpm":10,"concurrency":5}}""");
        using var _ = client;

        var admitted = await ChatAsync(client, new string('a', 36));
        Number(admitted, "x-ratelimit-remaining-tokens").ShouldBe(1);
        await ShouldReleaseEverySlotAsync(id); // the release carries the correction

        // 12 of 10 used: even one more token is refused (on the estimate alone it would fit)
        await ShouldBeRateLimitedAsync(await ChatAsync(client, "abcd"), "tokens");
    }

    [Fact]
    public async Task A_stream_is_charged_the_usage_of_its_final_chunk_once_it_ends()
    {
        // The fake stream reports 5 total tokens; admitted on an estimate of 9.
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"tpm-stream","limits":{"tpm":10,"concurrency":5}}""");
        using var _ = client;

        var stream = await gateway.PostJsonAsync("/v1/chat/completions", Chat(new string('b', 36), stream: true), client);
        (await stream.Content.ReadAsStringAsync()).ShouldContain("[DONE]");
        Number(stream, "x-ratelimit-remaining-tokens").ShouldBe(1);
        await ShouldReleaseEverySlotAsync(id);

        // 5 of 10 used: a 4-token request fits (on the estimate alone it would not)
        (await ChatAsync(client, "sixteen chars...")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Concurrency_caps_requests_in_flight_and_a_stream_its_client_left_holds_its_slot_until_its_job_ends()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"concurrency","limits":{"concurrency":2}}""");
        using var _ = client;
        var held = new List<(HttpResponseMessage Response, CancellationTokenSource Disconnect)>();
        for (var i = 0; i < 2; i++)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = new StringContent(Chat($"[stream-stall] held {i}", stream: true), Encoding.UTF8, "application/json"),
            };
            var disconnect = new CancellationTokenSource();
            var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, disconnect.Token);
            response.StatusCode.ShouldBe(HttpStatusCode.OK); // its first content arrived: it is in flight now
            held.Add((response, disconnect));
        }

        var third = await ChatAsync(client, "third");
        await ShouldBeRateLimitedAsync(third, "concurrency");
        (await InFlightAsync(id)).ShouldBe(2);

        // The client goes away mid-stream; its job runs on (resumable, billed at its end), so it keeps its slot.
        var left = Guid.ParseExact(held[0].Response.Headers.GetValues("x-ccapi-job-id").Single(), "N");
        await DisconnectAsync(held[0]);
        var slots = gateway.Factory.Services.GetRequiredService<StreamSlots>();
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(slots.Open(id) == 1), TimeSpan.FromSeconds(15))).ShouldBeTrue("the request never ended");
        (await InFlightAsync(id)).ShouldBe(2);
        await ShouldBeRateLimitedAsync(await ChatAsync(client, "while the left stream runs"), "concurrency");

        // Its job ends: the slot is free.
        var streams = gateway.Factory.Services.GetRequiredService<ChatStreams>();
        await streams.AppendAsync(left, new ChatStreamDelta { FinishReason = "stop" });
        await streams.AppendAsync(left, new ChatStreamDelta { Usage = new Usage { PromptTokens = 3, CompletionTokens = 1, TotalTokens = 4 } });
        await streams.AppendAsync(left, new ChatStreamDelta { Done = true });
        (await TestInfrastructure.EventuallyAsync(async () => await InFlightAsync(id) == 1, TimeSpan.FromSeconds(15))).ShouldBeTrue();
        (await ChatAsync(client, "after the left stream ended")).StatusCode.ShouldBe(HttpStatusCode.OK);

        await DisconnectAsync(held[1]);
        await ShouldReleaseEverySlotAsync(id); // the stalled job's reader gives up after the request timeout: released then
    }

    private static async Task DisconnectAsync((HttpResponseMessage Response, CancellationTokenSource Disconnect) stream)
    {
        await stream.Disconnect.CancelAsync();
        stream.Response.Dispose();
        stream.Disconnect.Dispose();
    }

    [Fact]
    public async Task A_failed_request_frees_its_slot_and_still_carries_the_headers()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"errors","limits":{"concurrency":1,"rpm":100}}""");
        using var _ = client;

        var failed = await ChatAsync(client, "[fail:502] provider down");
        failed.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        Number(failed, "x-ratelimit-limit-requests").ShouldBe(100);
        Number(failed, "x-ratelimit-remaining-requests").ShouldBe(99);
        await ShouldReleaseEverySlotAsync(id);

        (await ChatAsync(client, "after an error")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await ShouldReleaseEverySlotAsync(id);
    }

    [Fact]
    public async Task A_slot_whose_lease_expired_no_longer_counts_but_a_live_one_does()
    {
        // What a gateway killed mid-request leaves behind: a lease nobody will release.
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"leases","limits":{"concurrency":1}}""");
        using var _ = client;
        var inFlight = RedisKeys.ApiKeyInFlight(id);
        var nowMicros = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;

        await gateway.Redis.GetDatabase().SortedSetAddAsync(inFlight, "dead-gateway", nowMicros - 60_000_000);
        var afterExpired = await ChatAsync(client, "expired lease");
        await ShouldReleaseEverySlotAsync(id);
        await gateway.Redis.GetDatabase().SortedSetAddAsync(inFlight, "live-request", nowMicros + 600_000_000);
        var afterLive = await ChatAsync(client, "live lease");

        afterExpired.StatusCode.ShouldBe(HttpStatusCode.OK);
        await ShouldBeRateLimitedAsync(afterLive, "concurrency");
    }

    [Fact]
    public async Task Two_gateway_hosts_share_one_key_s_limits()
    {
        await using var second = gateway.NewGateway(adminKey: gateway.AdminApiKey);
        var (_, onFirst) = await gateway.CreateKeyAsync("""{"name":"shared","limits":{"rpm":2}}""");
        using var _ = onFirst;
        using var onSecond = second.CreateClient();
        onSecond.DefaultRequestHeaders.Authorization = onFirst.DefaultRequestHeaders.Authorization;

        var a = await ChatAsync(onFirst, "replica one");
        var b = await ChatAsync(onSecond, "replica two");
        var c = await ChatAsync(onFirst, "replica one again");
        var d = await ChatAsync(onSecond, "replica two again");

        a.StatusCode.ShouldBe(HttpStatusCode.OK);
        b.StatusCode.ShouldBe(HttpStatusCode.OK);
        Number(b, "x-ratelimit-remaining-requests").ShouldBe(0);
        await ShouldBeRateLimitedAsync(c, "requests");
        await ShouldBeRateLimitedAsync(d, "requests");
    }

    [Fact]
    public async Task The_OpenAI_SDK_surfaces_429_as_a_ClientResultException()
    {
        var (_, client) = await gateway.CreateKeyAsync("""{"name":"sdk","limits":{"rpm":1}}""");
        var key = client.DefaultRequestHeaders.Authorization!.Parameter!;
        client.Dispose();
        var sdk = gateway.Sdk(key).GetChatClient("local/echo-1"); // no SDK retries: it would wait Retry-After and retry

        await sdk.CompleteChatAsync([new UserChatMessage("first")]);
        var refused = await Should.ThrowAsync<ClientResultException>(() => sdk.CompleteChatAsync([new UserChatMessage("second")]));

        refused.Status.ShouldBe(429);
        refused.Message.ShouldContain("rate_limit_exceeded");
        refused.GetRawResponse().ShouldNotBeNull().Headers.TryGetValue("x-ratelimit-remaining-requests", out var remaining).ShouldBeTrue();
        remaining.ShouldBe("0");
    }

    [Fact]
    public async Task Without_Redis_a_limited_key_is_refused_with_503_never_served_unlimited()
    {
        using var redis = new TcpProxy(TestInfrastructure.RedisEndpoint);
        await using var isolated = gateway.NewGateway(adminKey: null, cacheTtl: "00:10:00",
            new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = TestInfrastructure.RedisAt(redis.Endpoint) });
        var (_, client) = await gateway.CreateKeyAsync("""{"name":"no-redis","limits":{"rpm":100}}""", isolated);
        using var _ = client;
        (await ChatAsync(client, "while redis is up")).StatusCode.ShouldBe(HttpStatusCode.OK); // the key is cached now

        redis.Cut();
        var marker = Guid.NewGuid().ToString("N");
        var response = await ChatAsync(client, "redis is gone " + marker);

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        var error = (await GatewayFixture.ReadJsonAsync(response))["error"]!;
        error["code"]!.GetValue<string>().ShouldBe("service_unavailable");
        gateway.Providers.FindChat(marker).ShouldBeNull();
    }

    [Theory]
    [MemberData(nameof(GatewayFixture.ModelRoutes), MemberType = typeof(GatewayFixture))]
    public async Task The_OpenAPI_document_lists_429_and_503_on_every_model_route(string path)
    {
        var document = await gateway.OpenApiAsync();

        var responses = document["paths"]![path]!["post"]!["responses"]!.AsObject();

        responses.ContainsKey("429").ShouldBeTrue();
        responses.ContainsKey("503").ShouldBeTrue();
    }

    private Task<HttpResponseMessage> AsyncImageAsync(HttpClient client, string prompt) => gateway.PostJsonAsync("/v1/images/generate",
        $$"""{"model":"local/pixel-async-1","contents":[{"text":"{{prompt}}"}]}""", client);

    private static async Task<Guid> AcceptedJobAsync(HttpResponseMessage response)
    {
        var body = await GatewayFixture.ReadJsonAsync(response);
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted, body.ToJsonString());
        PublicIds.TryParse(body["id"]!.GetValue<string>(), PublicIds.ImagePrefix, out var jobId).ShouldBeTrue();
        return jobId;
    }

    private async Task<string[]> UnfinishedAsyncJobsAsync(string keyId) =>
        [.. (await gateway.Redis.GetDatabase().SortedSetRangeByRankAsync(RedisKeys.ApiKeyAsyncJobs(keyId))).Select(v => (string)v!)];

    private async Task ShouldHoldAsyncJobsAsync(string keyId, params Guid[] jobs)
    {
        var expected = jobs.Select(j => j.ToString("N")).Order().ToArray();
        (await TestInfrastructure.EventuallyAsync(async () => (await UnfinishedAsyncJobsAsync(keyId)).Order().SequenceEqual(expected), TimeSpan.FromSeconds(15)))
            .ShouldBeTrue($"the key's async jobs should be [{string.Join(", ", expected)}], are [{string.Join(", ", await UnfinishedAsyncJobsAsync(keyId))}]");
    }

    [Fact]
    public async Task Async_jobs_caps_a_keys_unfinished_async_jobs_and_completion_cancellation_and_failure_each_free_one()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"async-jobs","limits":{"async_jobs":2}}""");
        using var _ = client;
        var marker = Guid.NewGuid().ToString("N");
        var first = await AcceptedJobAsync(await AsyncImageAsync(client, $"async cap {marker} 1"));
        var second = await AcceptedJobAsync(await AsyncImageAsync(client, $"async cap {marker} 2"));

        var refused = await AsyncImageAsync(client, $"async cap {marker} refused");

        await ShouldBeRateLimitedAsync(refused, "async_jobs");
        gateway.Providers.ImageCommands.Values.ShouldNotContain(c => c.Prompt.EndsWith(marker + " refused", StringComparison.Ordinal)); // nothing dispatched
        var own = await GatewayFixture.ReadJsonAsync(await client.GetAsync("/v1/key"));
        own["limits"]!["async_jobs"]!.GetValue<int>().ShouldBe(2);
        own["remaining"]!["async_jobs"]!.GetValue<long>().ShouldBe(0);
        // Synchronous requests are not async jobs: a sync image and a chat still pass.
        (await gateway.PostJsonAsync("/v1/images/generate", $$"""{"model":"local/pixel-1","contents":[{"text":"sync {{marker}}"}]}""", client))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ChatAsync(client, "chat beside async jobs " + marker)).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Completed: its slot is free again.
        var route = gateway.Providers.Registrations[first].Route;
        await gateway.Providers.Bus.Publish(new ImageGenerated
        {
            JobId = first, Timestamp = DateTimeOffset.UtcNow, Route = route, Operation = "text-to-image", Images = [], Usage = FakeProviders.Priced(route, images: 1),
        });
        await ShouldHoldAsyncJobsAsync(id, second);
        var third = await AcceptedJobAsync(await AsyncImageAsync(client, $"async cap {marker} 3"));

        // Canceled (the event carries no route: the job's owner was remembered for it, though the key has no credits).
        await gateway.Providers.Bus.Publish(new JobCanceled { JobId = second, Timestamp = DateTimeOffset.UtcNow, Reason = "test" });
        await ShouldHoldAsyncJobsAsync(id, third);
        var fourth = await AcceptedJobAsync(await AsyncImageAsync(client, $"async cap {marker} 4"));
        await ShouldBeRateLimitedAsync(await AsyncImageAsync(client, $"async cap {marker} refused again"), "async_jobs");

        // Failed, as JobStatus' stuck-job sweeper reports it (no route either).
        await gateway.Providers.Bus.Publish(new JobFailed { JobId = third, Timestamp = DateTimeOffset.UtcNow, Error = new ErrorInfo { Message = "stuck", Type = "api_error" } });
        await ShouldHoldAsyncJobsAsync(id, fourth);
        (await GatewayFixture.ReadJsonAsync(await client.GetAsync("/v1/key")))["remaining"]!["async_jobs"]!.GetValue<long>().ShouldBe(1);
    }

    [Fact]
    public async Task An_async_job_that_fails_before_its_202_gives_its_slot_back()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"async-jobs-503","limits":{"async_jobs":1}}""");
        using var _ = client;
        gateway.Providers.RegisterFaults = true;
        try
        {
            (await AsyncImageAsync(client, "async cap, registration faults " + Guid.NewGuid().ToString("N"))).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        }
        finally
        {
            gateway.Providers.RegisterFaults = false;
        }

        await ShouldHoldAsyncJobsAsync(id); // released when the request ended, and by the JobFailed published for the registered job
        var job = await AcceptedJobAsync(await AsyncImageAsync(client, "async cap, after the 503 " + Guid.NewGuid().ToString("N")));
        await ShouldHoldAsyncJobsAsync(id, job);
    }

    [Fact]
    public async Task An_async_jobs_slot_whose_job_never_ended_lapses_with_its_hold()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"async-jobs-lapse","limits":{"async_jobs":2}}""");
        using var _ = client;
        var db = gateway.Redis.GetDatabase();
        var nowMicros = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        // What admission leaves for two jobs whose terminal events were lost: one past its hold, one within it.
        await db.SortedSetAddAsync(RedisKeys.ApiKeyAsyncJobs(id), [new("lapsed", nowMicros - 1_000_000), new("running", nowMicros + 3_600_000_000)]);

        var job = await AcceptedJobAsync(await AsyncImageAsync(client, "async cap, one lapsed " + Guid.NewGuid().ToString("N")));
        var refused = await AsyncImageAsync(client, "async cap, full " + Guid.NewGuid().ToString("N"));

        await ShouldBeRateLimitedAsync(refused, "async_jobs");
        (await UnfinishedAsyncJobsAsync(id)).Order().ShouldBe(new[] { "running", job.ToString("N") }.Order());
    }
}

using System.ClientModel;
using System.Globalization;
using System.Net.Http.Headers;
using CCApi.Contracts;
using CCApi.Gateway.Credits;
using CCApi.Gateway.Dispatch;
using CCApi.Storage;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;

namespace CCApi.Gateway.Tests;

/// <summary>
/// Credits against the real Redis and bus: the reservation taken with the limits (402 when it does not fit), settlement of
/// the priced usage exactly once (inline, and from redelivered terminal events), release on failure, timeout and
/// disconnect, the expiry sweep, <c>usage.cost_usd</c> and the usage reports. Prices are the catalog's
/// (deploy/catalog.json): openai/gpt-4o-mini $0.15 / $0.60 per million tokens, imaginepro/nano-banana $0.04 per image;
/// the fake adapters price usage as the real ones do (7 prompt + 5 completion tokens per chat = $0.00000405).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class CreditTests(GatewayFixture gateway)
{
    private const decimal ChatCost = 0.00000405m;

    private static string Chat(string content, string model = "openai/gpt-4o-mini", int maxTokens = 100) =>
        $$"""{"model":"{{model}}","max_tokens":{{maxTokens}},"messages":[{"role":"user","content":"{{content}}"}]}""";

    private async Task<JsonNode> KeyAsync(HttpClient client) => await GatewayFixture.ReadJsonAsync(await client.GetAsync("/v1/key"));

    private async Task<JsonNode> AdminKeyAsync(string id) => await GatewayFixture.ReadJsonAsync(await gateway.Admin.GetAsync("/admin/v1/keys/" + id));

    private static decimal Usd(JsonNode? node) => node!.GetValue<decimal>();

    private async Task<bool> ReservedIsZeroAsync(string id) =>
        await TestInfrastructure.EventuallyAsync(async () => Usd((await AdminKeyAsync(id))["reserved_usd"]) == 0m, TimeSpan.FromSeconds(15));

    private Task<long> ReservationsAsync(string id) => gateway.Redis.GetDatabase().HashLengthAsync(RedisKeys.ApiKeyReservations(id));

    private async Task<List<JsonNode>> UsageEntriesAsync(string id)
    {
        var ledger = await GatewayFixture.ReadJsonAsync(await gateway.Admin.GetAsync($"/admin/v1/keys/{id}/ledger?limit=100"));
        return [.. ledger["data"]!.AsArray().Where(e => e!["type"]!.GetValue<string>() == "usage").Select(e => e!)];
    }

    /// <summary>
    /// Starts an async imaginepro/nano-banana job on a new key holding $1; answers the key, a client carrying it and the job,
    /// once the job is accepted with its $0.04 reserved.
    /// </summary>
    private async Task<(string Id, HttpClient Client, Guid JobId)> StartReservedImageJobAsync(string name, string prompt)
    {
        var (id, client) = await gateway.CreateKeyAsync($$"""{"name":"{{name}}","credits_usd":1}""");
        var response = await gateway.PostJsonAsync("/v1/images/generate",
            $$"""{"model":"imaginepro/nano-banana","contents":[{"text":"{{prompt}}"}]}""", client);
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var jobId = Guid.ParseExact((await GatewayFixture.ReadJsonAsync(response))["id"]!.GetValue<string>()[4..], "N");
        Usd((await AdminKeyAsync(id))["reserved_usd"]).ShouldBe(0.04m);
        return (id, client, jobId);
    }

    /// <summary>
    /// A new key holding <paramref name="creditsUsd"/> and one job's hold of <paramref name="heldNanoUsd"/>, written straight
    /// into Redis as the reservation script leaves it (expiring in an hour); answers the key and the job.
    /// </summary>
    private async Task<(string Id, Guid JobId)> KeyWithHoldAsync(string name, string creditsUsd, long heldNanoUsd)
    {
        var (id, client) = await gateway.CreateKeyAsync($$"""{"name":"{{name}}","credits_usd":{{creditsUsd}}}""");
        client.Dispose();
        var jobId = Guid.NewGuid();
        var db = gateway.Redis.GetDatabase();
        await db.HashSetAsync(RedisKeys.ApiKeyReservations(id), jobId.ToString("N"), $"{heldNanoUsd}:{DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds()}");
        await db.HashIncrementAsync(RedisKeys.ApiKey(id), "reserved_nusd", heldNanoUsd);
        return (id, jobId);
    }

    [Fact]
    public async Task Chat_settles_the_priced_usage_inline_and_shows_cost_usd()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"settle","credits_usd":1}""");
        using var _ = client;

        var response = await gateway.PostJsonAsync("/v1/chat/completions", Chat("settle " + Guid.NewGuid().ToString("N")), client);
        var body = await GatewayFixture.ReadJsonAsync(response);
        var key = await KeyAsync(client); // right after the response: already settled

        response.StatusCode.ShouldBe(HttpStatusCode.OK, body.ToJsonString());
        Usd(body["usage"]!["cost_usd"]).ShouldBe(ChatCost);
        Usd(key["credits_usd"]).ShouldBe(1m - ChatCost);
        Usd(key["reserved_usd"]).ShouldBe(0m);
        Usd(key["spent_usd"]).ShouldBe(ChatCost);
        (await ReservationsAsync(id)).ShouldBe(0);
        var usage = (await UsageEntriesAsync(id)).ShouldHaveSingleItem();
        Usd(usage["amount_usd"]).ShouldBe(-ChatCost);
        Usd(usage["balance_after_usd"]).ShouldBe(1m - ChatCost);
    }

    [Fact]
    public async Task Returns_402_with_balance_and_required_when_the_credits_cannot_cover_the_reservation()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"poor","credits_usd":0.0001}""");
        using var _ = client;
        var marker = "poor " + Guid.NewGuid().ToString("N");

        // 1000 output tokens × $0.60/M = $0.0006 (+ input) > $0.0001
        var response = await gateway.PostJsonAsync("/v1/chat/completions", Chat(marker, maxTokens: 1000), client);
        var error = (await GatewayFixture.ReadJsonAsync(response))["error"]!;

        response.StatusCode.ShouldBe(HttpStatusCode.PaymentRequired);
        error["type"]!.GetValue<string>().ShouldBe("billing_error");
        error["code"]!.GetValue<string>().ShouldBe("insufficient_balance");
        decimal.Parse(error["details"]!["balance_usd"]!.GetValue<string>(), CultureInfo.InvariantCulture).ShouldBe(0.0001m);
        decimal.Parse(error["details"]!["required_usd"]!.GetValue<string>(), CultureInfo.InvariantCulture).ShouldBeGreaterThan(0.0006m);
        gateway.Providers.FindChat(marker).ShouldBeNull();
        Usd((await AdminKeyAsync(id))["reserved_usd"]).ShouldBe(0m);

        // a smaller max_tokens fits
        var small = await gateway.PostJsonAsync("/v1/chat/completions", Chat(marker + " small", maxTokens: 10), client);
        small.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_openai_sdk_surfaces_402_as_a_client_result_exception()
    {
        var (_, client) = await gateway.CreateKeyAsync("""{"name":"sdk-402","credits_usd":0}""");
        var secret = client.DefaultRequestHeaders.Authorization!.Parameter!;
        client.Dispose();
        var chat = gateway.Sdk(secret).GetChatClient("openai/gpt-4o-mini");

        var error = await Should.ThrowAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("hello")]));

        error.Status.ShouldBe(402);
        error.Message.ShouldContain("insufficient_balance");
    }

    [Fact]
    public async Task An_unpriced_model_costs_nothing_and_reports_cost_usd_null()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"unpriced","credits_usd":0}""");
        using var _ = client;

        var response = await gateway.PostJsonAsync("/v1/chat/completions", Chat("unpriced", model: "openai/some-new-model"), client);
        var body = await GatewayFixture.ReadJsonAsync(response);

        response.StatusCode.ShouldBe(HttpStatusCode.OK, body.ToJsonString());
        body["usage"]!.AsObject().ContainsKey("cost_usd").ShouldBeTrue();
        body["usage"]!["cost_usd"].ShouldBeNull();
        Usd((await AdminKeyAsync(id))["credits_usd"]).ShouldBe(0m);
    }

    [Fact]
    public async Task A_failed_job_releases_its_whole_reservation()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"fails","credits_usd":1}""");
        using var _ = client;

        var response = await gateway.PostJsonAsync("/v1/chat/completions", Chat("[fail:500] " + Guid.NewGuid().ToString("N")), client);

        ((int)response.StatusCode).ShouldBe(500);
        (await ReservedIsZeroAsync(id)).ShouldBeTrue();
        var key = await AdminKeyAsync(id);
        Usd(key["credits_usd"]).ShouldBe(1m);
        Usd(key["spent_usd"]).ShouldBe(0m);
        (await UsageEntriesAsync(id)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_streamed_image_generation_relaying_partial_images_settles_its_priced_usage()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"partials","credits_usd":1}""");
        using var _ = client;

        var response = await gateway.PostJsonAsync("/v1/images/generations",
            $$"""{"model":"local/pixel-1","prompt":"[slow-result] {{Guid.NewGuid():N}}","n":2,"stream":true,"partial_images":1}""", client);
        var body = await response.Content.ReadAsStringAsync();

        body.ShouldStartWith("event: image_generation.partial_image\n");
        (await ReservedIsZeroAsync(id)).ShouldBeTrue();
        var key = await AdminKeyAsync(id);
        Usd(key["spent_usd"]).ShouldBe(0.004m); // local/pixel-1: $0.002 per image
        Usd(key["credits_usd"]).ShouldBe(0.996m);
        Usd((await UsageEntriesAsync(id)).ShouldHaveSingleItem()["amount_usd"]).ShouldBe(-0.004m);
    }

    [Fact]
    public async Task A_streamed_image_generation_failing_after_its_partial_images_releases_its_reservation()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"partials-fail","credits_usd":1}""");
        using var _ = client;

        var response = await gateway.PostJsonAsync("/v1/images/generations",
            $$"""{"model":"local/pixel-1","prompt":"[fail:502] [slow-result] {{Guid.NewGuid():N}}","stream":true,"partial_images":1}""", client);
        var body = await response.Content.ReadAsStringAsync();

        body.ShouldContain("event: error\n");
        (await ReservedIsZeroAsync(id)).ShouldBeTrue();
        var key = await AdminKeyAsync(id);
        Usd(key["credits_usd"]).ShouldBe(1m);
        Usd(key["spent_usd"]).ShouldBe(0m);
        (await UsageEntriesAsync(id)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_client_leaving_a_stream_of_partial_images_cancels_the_job_and_releases_its_reservation()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"partials-leave","credits_usd":1}""");
        using var _ = client;
        var prompt = "[hang] " + Guid.NewGuid().ToString("N");
        var body = $$"""{"model":"local/pixel-1","prompt":"{{prompt}}","stream":true,"partial_images":2}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/images/generations") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        using var leave = new CancellationTokenSource();

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, leave.Token);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        await GatewayFixture.ReadUntilAsync(response, "image_generation.partial_image", leave.Token);
        Usd((await AdminKeyAsync(id))["reserved_usd"]).ShouldBeGreaterThan(0m); // held while the job runs
        await leave.CancelAsync();
        response.Dispose(); // the test server aborts the request when its response goes

        (await ReservedIsZeroAsync(id)).ShouldBeTrue();
        var key = await AdminKeyAsync(id);
        Usd(key["credits_usd"]).ShouldBe(1m);
        Usd(key["spent_usd"]).ShouldBe(0m);
        var channel = RedisKeys.JobPartialsChannel(gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == prompt).JobId);
        (await TestInfrastructure.EventuallyAsync(async () =>
            (long)((StackExchange.Redis.RedisResult[])(await gateway.Redis.GetDatabase().ExecuteAsync("PUBSUB", "NUMSUB", channel))!)[1] == 0,
            TimeSpan.FromSeconds(10))).ShouldBeTrue("the gateway still listens for the partials of a request that has ended");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Speech_played_as_it_is_made_settles_its_priced_usage(bool sse)
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"speech-stream","credits_usd":1}""");
        using var _ = client;
        var input = "Hello " + Guid.NewGuid().ToString("N");

        var response = await gateway.PostJsonAsync("/v1/audio/speech",
            $$"""{"model":"local/espeak-1","input":"{{input}}","voice":"alloy"{{(sse ? ",\"stream_format\":\"sse\"" : "")}}}""", client);
        var body = await response.Content.ReadAsStringAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (sse ? body.Contains("speech.audio.done", StringComparison.Ordinal) : body == "FAKE-AUDIO-mp3").ShouldBeTrue(body);
        (await ReservedIsZeroAsync(id)).ShouldBeTrue();
        var key = await AdminKeyAsync(id);
        Usd(key["spent_usd"]).ShouldBe(input.Length * 0.000015m); // local/espeak-1: $0.000015 per character
        Usd((await UsageEntriesAsync(id)).ShouldHaveSingleItem()["amount_usd"]).ShouldBe(-input.Length * 0.000015m);
    }

    [Theory]
    [InlineData("b64_json")] // JSON: its id, and the header
    [InlineData(null)] // audio bytes: the header only
    public async Task A_speech_jobs_ledger_entry_names_it_by_the_id_its_response_carried(string? responseFormat)
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"speech-ledger","credits_usd":1}""");
        using var _ = client;
        var format = responseFormat is null ? "" : $",\"response_format\":\"{responseFormat}\"";

        var response = await gateway.PostJsonAsync("/v1/audio/speech",
            $$"""{"model":"local/espeak-1","input":"Hello {{Guid.NewGuid():N}}","voice":"alloy"{{format}}}""", client);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var publicId = "speech_" + response.Headers.GetValues("x-ccapi-job-id").ShouldHaveSingleItem();
        if (responseFormat is not null)
        {
            (await GatewayFixture.ReadJsonAsync(response))["id"]!.GetValue<string>().ShouldBe(publicId);
        }

        (await TestInfrastructure.EventuallyAsync(async () => (await UsageEntriesAsync(id)).Count == 1, TimeSpan.FromSeconds(10))).ShouldBeTrue();
        var paidFor = (await UsageEntriesAsync(id)).Single()["usage"]!;
        paidFor["job_id"]!.GetValue<string>().ShouldBe(publicId);
        paidFor["kind"]!.GetValue<string>().ShouldBe("speech");
    }

    [Fact]
    public async Task Speech_failing_after_its_audio_started_releases_its_reservation()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"speech-stream-fail","credits_usd":1}""");
        using var _ = client;

        var response = await gateway.PostJsonAsync("/v1/audio/speech",
            $$"""{"model":"local/espeak-1","input":"[fail:502] [fail-after-audio] {{Guid.NewGuid():N}}","voice":"alloy","stream_format":"sse"}""", client);
        var body = await response.Content.ReadAsStringAsync();

        body.ShouldContain("event: speech.audio.delta\n");
        body.ShouldContain("event: error\n");
        (await ReservedIsZeroAsync(id)).ShouldBeTrue();
        var key = await AdminKeyAsync(id);
        Usd(key["credits_usd"]).ShouldBe(1m);
        Usd(key["spent_usd"]).ShouldBe(0m);
        (await UsageEntriesAsync(id)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_client_leaving_speech_played_as_it_is_made_cancels_the_job_and_releases_its_reservation()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"speech-stream-leave","credits_usd":1}""");
        using var _ = client;
        var input = "[hang] " + Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/audio/speech")
        {
            Content = new StringContent($$"""{"model":"local/espeak-1","input":"{{input}}","voice":"alloy"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        using var leave = new CancellationTokenSource();

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, leave.Token);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        await GatewayFixture.ReadUntilAsync(response, "FAKE-", leave.Token);
        Usd((await AdminKeyAsync(id))["reserved_usd"]).ShouldBeGreaterThan(0m); // held while the job runs
        await leave.CancelAsync();
        response.Dispose(); // the test server aborts the request when its response goes

        (await ReservedIsZeroAsync(id)).ShouldBeTrue();
        var key = await AdminKeyAsync(id);
        Usd(key["credits_usd"]).ShouldBe(1m);
        Usd(key["spent_usd"]).ShouldBe(0m);
        var channel = RedisKeys.JobAudioChannel(gateway.Providers.SpeechCommands.Values.Single(c => c.Input == input).JobId);
        (await TestInfrastructure.EventuallyAsync(async () =>
            (long)((StackExchange.Redis.RedisResult[])(await gateway.Redis.GetDatabase().ExecuteAsync("PUBSUB", "NUMSUB", channel))!)[1] == 0,
            TimeSpan.FromSeconds(10))).ShouldBeTrue("the gateway still listens for the audio of a request that has ended");
    }

    [Fact]
    public async Task A_timed_out_job_releases_its_reservation()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"hangs","credits_usd":1}""");
        using var _ = client;

        var response = await gateway.PostJsonAsync("/v1/chat/completions", Chat("[hang] " + Guid.NewGuid().ToString("N")), client);

        response.StatusCode.ShouldBe(HttpStatusCode.GatewayTimeout);
        (await ReservedIsZeroAsync(id)).ShouldBeTrue();
        Usd((await AdminKeyAsync(id))["credits_usd"]).ShouldBe(1m);
        (await ReservationsAsync(id)).ShouldBe(0);
    }

    [Fact]
    public async Task A_client_disconnect_releases_the_reservation()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"leaves","credits_usd":1}""");
        using var _ = client;
        var marker = "[hang] leaves " + Guid.NewGuid().ToString("N");
        using var leave = new CancellationTokenSource();

        var request = client.PostAsync("/v1/chat/completions", new StringContent(Chat(marker), System.Text.Encoding.UTF8, "application/json"), leave.Token);
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(gateway.Providers.FindChat(marker) is not null), TimeSpan.FromSeconds(10))).ShouldBeTrue();
        Usd((await AdminKeyAsync(id))["reserved_usd"]).ShouldBeGreaterThan(0m); // held while the job runs
        await leave.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => request);

        (await ReservedIsZeroAsync(id)).ShouldBeTrue();
        Usd((await AdminKeyAsync(id))["credits_usd"]).ShouldBe(1m);
    }

    /// <summary>
    /// Starts a streamed openai/gpt-4o-mini chat that stalls after its first content ([stream-stall]) on a new key holding $1
    /// with one concurrent request, reads up to that content and disconnects; returns once the request has ended (its
    /// stream slot on this replica is free), with the stream's reservation and the key's one concurrency slot still held by
    /// the job, which runs on: a second chat is refused 429 until it ends.
    /// </summary>
    private async Task<(string Id, Guid JobId, HttpClient Client)> LeaveStreamAfterFirstContentAsync(string name)
    {
        var (id, client) = await gateway.CreateKeyAsync($$$"""{"name":"{{{name}}}","credits_usd":1,"limits":{"concurrency":1}}""");
        var body = $$"""{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"[stream-stall] {{name}} {{Guid.NewGuid():N}}"}]}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        using var leave = new CancellationTokenSource();
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, leave.Token);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var jobId = Guid.ParseExact(response.Headers.GetValues("x-ccapi-job-id").Single(), "N");
        await GatewayFixture.ReadUntilAsync(response, "\"first\"", leave.Token);

        await leave.CancelAsync();
        response.Dispose(); // the test server aborts the request when its response goes

        var slots = gateway.Factory.Services.GetRequiredService<StreamSlots>();
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(slots.Open(id) == 0), TimeSpan.FromSeconds(15)))
            .ShouldBeTrue("the streaming request never ended");
        var refused = await gateway.PostJsonAsync("/v1/chat/completions", Chat("while the stream runs " + Guid.NewGuid().ToString("N")), client);
        refused.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests, "the request's end freed the concurrency slot of a job still running");
        (await ReservationsAsync(id)).ShouldBe(1); // the request's end did not release the reservation either
        return (id, jobId, client);
    }

    /// <summary>Once the stream's job has ended, its concurrency slot is free again: a second chat ($0.00000405) is served.</summary>
    private async Task ChatAfterTheStreamEndedAsync(HttpClient client) =>
        (await TestInfrastructure.EventuallyAsync(async () =>
            (await gateway.PostJsonAsync("/v1/chat/completions", Chat("after the stream " + Guid.NewGuid().ToString("N")), client)).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(15))).ShouldBeTrue("the stream's job kept its concurrency slot after it ended");

    [Fact]
    public async Task A_stream_whose_client_left_after_its_first_content_is_charged_when_it_ends()
    {
        var (id, jobId, client) = await LeaveStreamAfterFirstContentAsync("left-stream");
        using var _ = client;
        var streams = gateway.Factory.Services.GetRequiredService<ChatStreams>();
        // The job goes on without its client: the rest of the stream, with its priced usage (3 + 2 tokens = $0.00000165).
        const decimal cost = 0.00000165m;
        await streams.AppendAsync(jobId, new ChatStreamDelta { Content = " second" });
        await streams.AppendAsync(jobId, new ChatStreamDelta { FinishReason = "stop" });
        await streams.AppendAsync(jobId, new ChatStreamDelta { Usage = new Usage { PromptTokens = 3, CompletionTokens = 2, TotalTokens = 5, Cost = cost } });
        await streams.AppendAsync(jobId, new ChatStreamDelta { Done = true });
        await ChatAfterTheStreamEndedAsync(client);

        (await TestInfrastructure.EventuallyAsync(async () => Usd((await AdminKeyAsync(id))["spent_usd"]) == cost + ChatCost, TimeSpan.FromSeconds(15)))
            .ShouldBeTrue("the stream was not charged after its client left");
        var key = await AdminKeyAsync(id);
        Usd(key["credits_usd"]).ShouldBe(1m - cost - ChatCost);
        Usd(key["reserved_usd"]).ShouldBe(0m);
        (await ReservationsAsync(id)).ShouldBe(0);
        (await UsageEntriesAsync(id)).Select(e => Usd(e["amount_usd"])).Order().ShouldBe([-ChatCost, -cost]);
        gateway.Providers.CanceledEvents.ContainsKey(jobId).ShouldBeFalse();
    }

    [Fact]
    public async Task A_stream_whose_client_left_is_released_when_it_ends_in_a_provider_error()
    {
        var (id, jobId, client) = await LeaveStreamAfterFirstContentAsync("left-failed");
        using var _ = client;
        var streams = gateway.Factory.Services.GetRequiredService<ChatStreams>();
        await streams.AppendAsync(jobId, new ChatStreamDelta
        {
            Error = new ErrorInfo { Status = 502, Type = CCApi.ServiceDefaults.ErrorTypes.Api, Code = CCApi.ServiceDefaults.ErrorCodes.ProviderError, Message = "upstream broke" },
        });
        await ChatAfterTheStreamEndedAsync(client);

        (await ReservedIsZeroAsync(id)).ShouldBeTrue();
        (await ReservationsAsync(id)).ShouldBe(0);
        Usd((await AdminKeyAsync(id))["credits_usd"]).ShouldBe(1m - ChatCost); // only the second chat
        (await UsageEntriesAsync(id)).ShouldHaveSingleItem();
    }

    [Fact]
    public async Task An_async_job_holds_its_reservation_until_its_terminal_event_and_redeliveries_settle_it_once()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"async","credits_usd":1}""");
        using var _ = client;

        var response = await gateway.PostJsonAsync("/v1/images/generate",
            """{"model":"imaginepro/nano-banana","contents":[{"text":"a lighthouse"}],"parameters":{"num_images":2}}""", client);
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var jobId = Guid.ParseExact((await GatewayFixture.ReadJsonAsync(response))["id"]!.GetValue<string>()[4..], "N");
        Usd((await AdminKeyAsync(id))["reserved_usd"]).ShouldBe(0.08m); // 2 × $0.04, held after the 202

        var route = gateway.Providers.Registrations[jobId].Route;
        var generated = new ImageGenerated
        {
            JobId = jobId,
            Timestamp = DateTimeOffset.UtcNow,
            Route = route,
            Operation = "text-to-image",
            Images = [],
            Usage = FakeProviders.Priced(route, images: 2),
        };
        await gateway.Providers.Bus.Publish(generated);
        await gateway.Providers.Bus.Publish(generated); // redelivered

        (await ReservedIsZeroAsync(id)).ShouldBeTrue();
        (await TestInfrastructure.EventuallyAsync(async () => (await UsageEntriesAsync(id)).Count == 1, TimeSpan.FromSeconds(10))).ShouldBeTrue();
        // A failure arriving after the job settled changes nothing. Published only now: the bus does not order two
        // message types (one exchange each), so published together it could be consumed first and release the job (CI saw it).
        await gateway.Providers.Bus.Publish(new JobFailed { JobId = jobId, Timestamp = DateTimeOffset.UtcNow, Error = new ErrorInfo { Message = "late", Type = "api_error" } });
        var settlement = gateway.Factory.Services.GetRequiredService<CreditSettlement>();
        (await settlement.ReleaseAsync(id, jobId)).Outcome.ShouldBe(SettleOutcome.Duplicate); // what that JobFailed's consumer does
        // the same settlement again, many times at once (as redeliveries racing on several replicas): no effect
        var again = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => settlement.SettleAsync(id, jobId, route, JobKind.Image, generated.Usage)));

        again.ShouldAllBe(r => r.Outcome == SettleOutcome.Duplicate);
        var key = await AdminKeyAsync(id);
        Usd(key["spent_usd"]).ShouldBe(0.08m);
        Usd(key["credits_usd"]).ShouldBe(0.92m);
        (await UsageEntriesAsync(id)).ShouldHaveSingleItem()["amount_usd"]!.GetValue<decimal>().ShouldBe(-0.08m);
    }

    [Fact]
    public async Task Settling_a_job_once_from_many_callers_charges_it_exactly_once()
    {
        var (id, jobId) = await KeyWithHoldAsync("once", "1", 50_000_000);
        var route = new JobRoute { OwnerId = id, Provider = "openai", Model = "openai/gpt-4o-mini", ProviderModel = "gpt-4o-mini", Pricing = new ModelPricing { InputPerMillion = 0.15m, OutputPerMillion = 0.6m } };
        var settlement = gateway.Factory.Services.GetRequiredService<CreditSettlement>();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => i % 3 == 0
            ? settlement.ReleaseAsync(id, jobId)
            : settlement.SettleAsync(id, jobId, route, JobKind.Chat, new Usage { PromptTokens = 10, CompletionTokens = 10, Cost = 0.03m })));

        outcomes.Count(o => o.Outcome is SettleOutcome.Settled or SettleOutcome.Released).ShouldBe(1);
        var key = await AdminKeyAsync(id);
        Usd(key["reserved_usd"]).ShouldBe(0m);
        var settled = outcomes.Any(o => o.Outcome == SettleOutcome.Settled);
        Usd(key["credits_usd"]).ShouldBe(settled ? 0.97m : 1m);
        Usd(key["spent_usd"]).ShouldBe(settled ? 0.03m : 0m);
    }

    [Fact]
    public async Task A_charge_never_exceeds_the_hold_so_spend_never_exceeds_credits()
    {
        var (id, jobId) = await KeyWithHoldAsync("capped", "0.01", 5_000_000);
        var route = new JobRoute { OwnerId = id, Provider = "openai", Model = "openai/gpt-4o-mini", ProviderModel = "gpt-4o-mini" };

        var (outcome, charged) = await gateway.Factory.Services.GetRequiredService<CreditSettlement>()
            .SettleAsync(id, jobId, route, JobKind.Chat, new Usage { Cost = 1m }); // the provider billed far more than reserved

        outcome.ShouldBe(SettleOutcome.Settled);
        charged.ShouldBe(5_000_000);
        var key = await AdminKeyAsync(id);
        Usd(key["credits_usd"]).ShouldBe(0.005m);
        Usd(key["spent_usd"]).ShouldBe(0.005m);
    }

    [Fact]
    public async Task A_canceled_async_job_releases_its_reservation_through_its_remembered_owner()
    {
        var (id, client, jobId) = await StartReservedImageJobAsync("async-cancel", "a canceled lighthouse");
        using var _ = client;

        await gateway.Providers.Bus.Publish(new JobCanceled { JobId = jobId, Timestamp = DateTimeOffset.UtcNow, Reason = "test" });

        (await ReservedIsZeroAsync(id)).ShouldBeTrue();
        Usd((await AdminKeyAsync(id))["credits_usd"]).ShouldBe(1m);
        (await UsageEntriesAsync(id)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_faulted_async_command_releases_its_reservation()
    {
        var (id, client, jobId) = await StartReservedImageJobAsync("async-fault", "a faulted lighthouse");
        using var _ = client;
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(gateway.Providers.ImageCommands.ContainsKey(jobId)), TimeSpan.FromSeconds(10))).ShouldBeTrue();

        // what MassTransit publishes when no adapter can process the command (poison message)
        await gateway.Providers.Bus.Publish<MassTransit.Fault<GenerateImage>>(new { Message = gateway.Providers.ImageCommands[jobId], Timestamp = DateTime.UtcNow });

        (await ReservedIsZeroAsync(id)).ShouldBeTrue();
        Usd((await AdminKeyAsync(id))["credits_usd"]).ShouldBe(1m);
    }

    [Fact]
    public async Task Image_json_and_the_async_job_view_carry_usage_with_cost_usd()
    {
        var sync = await gateway.PostJsonAsync("/v1/images/generate",
            """{"model":"stabilityai/stable-diffusion-xl-1024-v1-0","contents":[{"text":"a priced lighthouse"}],"parameters":{"num_images":2}}""");
        var syncBody = await GatewayFixture.ReadJsonAsync(sync);
        sync.StatusCode.ShouldBe(HttpStatusCode.OK, syncBody.ToJsonString());
        syncBody["usage"]!["images"]!.GetValue<int>().ShouldBe(2);
        Usd(syncBody["usage"]!["cost_usd"]).ShouldBe(0.012m); // 2 × $0.006

        gateway.Providers.ReleaseAsyncJobs = FakeProviders.NewRelease();
        var accepted = await gateway.PostJsonAsync("/v1/images/generate",
            """{"model":"imaginepro/nano-banana","contents":[{"text":"a polled lighthouse"}]}""");
        accepted.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var id = (await GatewayFixture.ReadJsonAsync(accepted))["id"]!.GetValue<string>();
        gateway.Providers.ReleaseAsyncJobs.SetResult();
        JsonNode? job = null;
        (await TestInfrastructure.EventuallyAsync(async () =>
            (job = await GatewayFixture.ReadJsonAsync(await gateway.Client.GetAsync("/v1/images/jobs/" + id)))["status"]!.GetValue<string>() == "completed",
            TimeSpan.FromSeconds(15))).ShouldBeTrue();

        job!["usage"]!["images"]!.GetValue<int>().ShouldBe(1);
        Usd(job["usage"]!["cost_usd"]).ShouldBe(0.04m);
    }

    [Fact]
    public async Task Expired_reservations_are_released_by_the_sweeper()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"swept","credits_usd":1}""");
        client.Dispose();
        var db = gateway.Redis.GetDatabase();
        var past = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds();
        var future = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();
        // as a gateway killed between reservation and settlement leaves them: one expired, one not yet
        await db.HashSetAsync(RedisKeys.ApiKeyReservations(id), [new("dead", $"300000000:{past}"), new("alive", $"200000000:{future}")]);
        await db.HashIncrementAsync(RedisKeys.ApiKey(id), "reserved_nusd", 500_000_000);

        var released = await gateway.Factory.Services.GetRequiredService<ReservationSweeper>().SweepOnceAsync();

        released.ShouldBeGreaterThanOrEqualTo(1);
        var key = await AdminKeyAsync(id);
        Usd(key["reserved_usd"]).ShouldBe(0.2m);
        Usd(key["credits_usd"]).ShouldBe(1m);
        (await db.HashExistsAsync(RedisKeys.ApiKeyReservations(id), "dead")).ShouldBeFalse();
        (await db.HashExistsAsync(RedisKeys.ApiKeyReservations(id), "alive")).ShouldBeTrue();
    }

    [Fact]
    public async Task The_sweeper_settles_an_expired_reservation_from_the_completed_jobs_record_and_releases_the_rest()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"swept-record","credits_usd":1}""");
        client.Dispose();
        var db = gateway.Redis.GetDatabase();
        var past = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds();
        var (completed, failed) = (Guid.NewGuid(), Guid.NewGuid());
        gateway.Internal.Jobs[completed] = StubInternalServices.JobView(new
        {
            Id = completed.ToString("D"), OwnerId = id, Kind = "chat", State = "completed", Mode = "sync", Model = "openai/gpt-4o-mini", Provider = "openai",
            Usage = new { PromptTokens = 7, CompletionTokens = 5, TotalTokens = 12, Cost = 0.03m, Currency = "USD" },
        });
        gateway.Internal.Jobs[failed] = StubInternalServices.JobView(new
        {
            Id = failed.ToString("D"), OwnerId = id, Kind = "chat", State = "failed", Mode = "sync", Model = "openai/gpt-4o-mini", Provider = "openai",
        });

        // as a gateway killed after dispatch leaves them: the jobs went on and ended, nobody settled them (written after
        // the job records, so that no sweep can see a reservation whose job it cannot find yet)
        await db.HashSetAsync(RedisKeys.ApiKeyReservations(id), [new(completed.ToString("N"), $"100000000:{past}"), new(failed.ToString("N"), $"100000000:{past}")]);
        await db.HashIncrementAsync(RedisKeys.ApiKey(id), "reserved_nusd", 200_000_000);

        var finished = await gateway.Factory.Services.GetRequiredService<ReservationSweeper>().SweepOnceAsync();
        var again = await gateway.Factory.Services.GetRequiredService<ReservationSweeper>().SweepOnceAsync();

        finished.ShouldBeGreaterThanOrEqualTo(2);
        var key = await AdminKeyAsync(id);
        Usd(key["reserved_usd"]).ShouldBe(0m);
        Usd(key["credits_usd"]).ShouldBe(0.97m);
        Usd(key["spent_usd"]).ShouldBe(0.03m);
        (await ReservationsAsync(id)).ShouldBe(0);
        Usd((await UsageEntriesAsync(id)).ShouldHaveSingleItem()["amount_usd"]).ShouldBe(-0.03m);
        var report = await GatewayFixture.ReadJsonAsync(await gateway.Admin.GetAsync($"/admin/v1/usage?key_id={id}&group_by=model"));
        var row = report["data"]!.AsArray().ShouldHaveSingleItem()!;
        row["requests"]!.GetValue<long>().ShouldBe(1);
        row["input_tokens"]!.GetValue<long>().ShouldBe(7);
        Usd(row["cost_usd"]).ShouldBe(0.03m);
        (await gateway.Factory.Services.GetRequiredService<CreditSettlement>()
            .SettleAsync(id, completed, new JobRoute { OwnerId = id, Provider = "openai", Model = "openai/gpt-4o-mini", ProviderModel = "gpt-4o-mini" }, JobKind.Chat,
                new Usage { Cost = 0.03m })).Outcome.ShouldBe(SettleOutcome.Duplicate); // its terminal event, late: charged once
    }

    [Fact]
    public async Task An_unlimited_keys_usage_is_recorded_in_its_ledger_by_the_request_itself()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"unlimited-ledger","credits_usd":null}""");
        using var _ = client;

        var response = await gateway.PostJsonAsync("/v1/chat/completions", Chat("unlimited " + Guid.NewGuid().ToString("N")), client);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await TestInfrastructure.EventuallyAsync(async () => (await UsageEntriesAsync(id)).Count == 1, TimeSpan.FromSeconds(10))).ShouldBeTrue();
        // The entry says what it paid for: the job the client saw, its model and provider, and the provider's counts.
        var entry = (await UsageEntriesAsync(id)).Single();
        var paidFor = entry["usage"]!;
        paidFor["job_id"]!.GetValue<string>().ShouldBe((await GatewayFixture.ReadJsonAsync(response))["id"]!.GetValue<string>());
        paidFor["kind"]!.GetValue<string>().ShouldBe("chat");
        paidFor["model"]!.GetValue<string>().ShouldBe("openai/gpt-4o-mini");
        paidFor["provider"]!.GetValue<string>().ShouldBe("openai");
        paidFor["input_tokens"]!.GetValue<long>().ShouldBeGreaterThan(0);
        paidFor["output_tokens"]!.GetValue<long>().ShouldBeGreaterThan(0);
        paidFor["priced"]!.GetValue<bool>().ShouldBeTrue();
        Usd(entry["amount_usd"]).ShouldBe(-ChatCost);
        var report = await GatewayFixture.ReadJsonAsync(await gateway.Admin.GetAsync($"/admin/v1/usage?key_id={id}&group_by=model"));
        Usd(report["data"]!.AsArray().ShouldHaveSingleItem()!["cost_usd"]).ShouldBe(ChatCost);
        Usd((await AdminKeyAsync(id))["spent_usd"]).ShouldBe(ChatCost);
    }

    [Fact]
    public async Task A_streamed_chat_reports_cost_usd_in_its_usage_chunk_and_settles_it()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"stream","credits_usd":1}""");
        using var _ = client;

        var response = await gateway.PostJsonAsync("/v1/chat/completions",
            """{"model":"openai/gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"stream"}]}""", client);
        var text = await response.Content.ReadAsStringAsync();
        var usageChunk = text.Split("\n").Where(l => l.StartsWith("data: {", StringComparison.Ordinal))
            .Select(l => JsonNode.Parse(l[6..])!).Single(c => c["usage"] is not null);
        var key = await AdminKeyAsync(id);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        const decimal Cost = 0.00000165m; // 3 × $0.15/M + 2 × $0.60/M
        Usd(usageChunk["usage"]!["cost_usd"]).ShouldBe(Cost);
        Usd(key["spent_usd"]).ShouldBe(Cost);
        Usd(key["reserved_usd"]).ShouldBe(0m);
    }

    [Fact]
    public async Task Usage_reports_group_the_settled_jobs_by_model_day_and_key()
    {
        var (id, client) = await gateway.CreateKeyAsync("""{"name":"usage","credits_usd":1}""");
        using var _ = client;
        (await gateway.PostJsonAsync("/v1/chat/completions", Chat("usage one"), client)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await gateway.PostJsonAsync("/v1/chat/completions", Chat("usage two"), client)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var byModel = await GatewayFixture.ReadJsonAsync(await client.GetAsync("/v1/usage?group_by=model"));
        var byDay = await GatewayFixture.ReadJsonAsync(await client.GetAsync("/v1/usage"));
        var admin = await GatewayFixture.ReadJsonAsync(await gateway.Admin.GetAsync($"/admin/v1/usage?key_id={id}&group_by=key"));
        var past = await GatewayFixture.ReadJsonAsync(await client.GetAsync("/v1/usage?from=0&to=1000"));

        byModel["object"]!.GetValue<string>().ShouldBe("list");
        byModel["group_by"]!.GetValue<string>().ShouldBe("model");
        var row = byModel["data"]!.AsArray().ShouldHaveSingleItem()!;
        row["group"]!.GetValue<string>().ShouldBe("openai/gpt-4o-mini");
        row["requests"]!.GetValue<long>().ShouldBe(2);
        row["input_tokens"]!.GetValue<long>().ShouldBe(14);
        row["output_tokens"]!.GetValue<long>().ShouldBe(10);
        Usd(row["cost_usd"]).ShouldBe(2 * ChatCost);
        byDay["group_by"]!.GetValue<string>().ShouldBe("day");
        byDay["data"]![0]!["group"]!.GetValue<string>().ShouldBe(DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        (byDay["to"]!.GetValue<long>() - byDay["from"]!.GetValue<long>()).ShouldBeInRange(30 * 86400, 30 * 86400 + 3599);
        (byDay["from"]!.GetValue<long>() % 3600).ShouldBe(0); // the default window starts on the hour (read from the rollups)
        admin["data"]!.AsArray().ShouldHaveSingleItem()!["group"]!.GetValue<string>().ShouldBe(id);
        past["data"]!.AsArray().ShouldBeEmpty();
    }

    [Theory]
    [InlineData("/v1/usage?from=yesterday", "from")]
    [InlineData("/v1/usage?to=-5", "to")]
    [InlineData("/v1/usage?from=2000&to=1000", "from")]
    [InlineData("/v1/usage?group_by=key", "group_by")]
    [InlineData("/v1/usage?group_by=week", "group_by")]
    public async Task Bad_usage_queries_answer_400_naming_the_field(string path, string field)
    {
        var response = await gateway.Client.GetAsync(path);
        var error = (await GatewayFixture.ReadJsonAsync(response))["error"]!;

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        error["details"]!["param"]!.GetValue<string>().ShouldBe(field);
    }

    [Fact]
    public async Task The_admin_usage_report_checks_its_key_id()
    {
        var bad = await gateway.Admin.GetAsync("/admin/v1/usage?key_id=nope");
        var unknown = await gateway.Admin.GetAsync("/admin/v1/usage?key_id=key_0000000000000000");
        var client = await gateway.Client.GetAsync("/admin/v1/usage");

        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await GatewayFixture.ReadJsonAsync(bad))["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe("key_id");
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        client.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Concurrent_requests_across_two_gateways_never_spend_more_than_the_credits()
    {
        // $0.0001 covers 20 reservations of (about 10 input + 100 output tokens) ≈ $0.0000615 … so only one fits at a time
        // at first; the point is the invariant, whatever the interleaving: spend ≤ credits, balance = initial − settled.
        const decimal Initial = 0.0005m;
        var (id, client) = await gateway.CreateKeyAsync($$"""{"name":"race","credits_usd":{{Initial.ToString(CultureInfo.InvariantCulture)}}}""");
        await using var second = gateway.NewGateway(gateway.AdminApiKey, settings: new Dictionary<string, string?> { ["Messaging:RequestTimeout"] = "00:00:08" });
        using var other = second.CreateClient();
        other.DefaultRequestHeaders.Authorization = client.DefaultRequestHeaders.Authorization;
        using var _ = client;

        var responses = await Task.WhenAll(Enumerable.Range(0, 60).Select(i =>
            gateway.PostJsonAsync("/v1/chat/completions", Chat($"race {i}"), i % 2 == 0 ? client : other)));

        var served = responses.Count(r => r.StatusCode == HttpStatusCode.OK);
        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK || r.StatusCode == HttpStatusCode.PaymentRequired);
        served.ShouldBeGreaterThan(0);
        responses.Count(r => r.StatusCode == HttpStatusCode.PaymentRequired).ShouldBeGreaterThan(0);
        (await ReservedIsZeroAsync(id)).ShouldBeTrue();
        var key = await AdminKeyAsync(id);
        Usd(key["spent_usd"]).ShouldBe(served * ChatCost);
        Usd(key["credits_usd"]).ShouldBe(Initial - (served * ChatCost));
        Usd(key["credits_usd"]).ShouldBeGreaterThanOrEqualTo(0m);
    }

    [Theory]
    [MemberData(nameof(GatewayFixture.ModelRoutes), MemberType = typeof(GatewayFixture))]
    public async Task The_OpenAPI_document_lists_402_on_every_model_route(string path)
    {
        var document = await gateway.OpenApiAsync();

        document["paths"]![path]!["post"]!["responses"]!.AsObject().ContainsKey("402").ShouldBeTrue();
    }

    [Fact]
    public async Task The_OpenAPI_document_lists_the_usage_routes_with_their_400()
    {
        var document = await gateway.OpenApiAsync();

        document["paths"]!["/v1/usage"]!["get"]!["responses"]!.AsObject().ContainsKey("400").ShouldBeTrue();
        document["paths"]!["/admin/v1/usage"]!["get"]!["responses"]!.AsObject().ContainsKey("400").ShouldBeTrue();
    }
}

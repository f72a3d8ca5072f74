using System.ClientModel;
using System.ClientModel.Primitives;
using System.Security.Cryptography;
using CCApi.Gateway.Http;
using CCApi.Gateway.Idempotency;
using CCApi.Storage;
using OpenAI;
using OpenAI.Chat;

namespace CCApi.Gateway.Tests;

/// <summary>Idempotency-Key on POST routes (Stripe's semantics), against the real Redis and the fake providers.</summary>
[Collection(GatewayCollection.Name)]
public sealed class IdempotencyTests(GatewayFixture gateway)
{
    private const string Header = "Idempotency-Key";

    private static string NewKey() => "idem-" + Guid.NewGuid().ToString("N");

    private static string Chat(string text, bool stream = false) =>
        new JsonObject
        {
            ["model"] = "local/echo-1",
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }),
            ["stream"] = stream,
        }.ToJsonString();

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string json, string? key, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation(Header, key);
        }

        return client.SendAsync(request, cancellationToken);
    }

    private static string RecordKey(string apiKeyId, string header) =>
        RedisKeys.ApiKeyIdempotency(apiKeyId, Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(header))));

    private int ChatCalls(string marker) => gateway.Providers.ChatCommands.Values.Count(c => c.Messages.Any(m => m.Content?.Contains(marker, StringComparison.Ordinal) == true));

    [Fact]
    public async Task Replays_the_first_response_byte_for_byte_without_a_second_provider_call()
    {
        var key = NewKey();
        var marker = Guid.NewGuid().ToString("N");

        var first = await PostAsync(gateway.Client, "/v1/chat/completions", Chat("replay " + marker), key);
        var firstBody = await first.Content.ReadAsByteArrayAsync();
        var second = await PostAsync(gateway.Client, "/v1/chat/completions", Chat("replay " + marker), key);
        var secondBody = await second.Content.ReadAsByteArrayAsync();

        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        first.Headers.Contains("Idempotent-Replayed").ShouldBeFalse();
        second.StatusCode.ShouldBe(HttpStatusCode.OK);
        second.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        second.Content.Headers.ContentType!.ToString().ShouldBe(first.Content.Headers.ContentType!.ToString());
        secondBody.ShouldBe(firstBody);
        ChatCalls(marker).ShouldBe(1);

        // Saved under the API key's hash tag, for 24 h.
        var ttl = await gateway.Redis.GetDatabase().KeyTimeToLiveAsync(RecordKey(gateway.KeyId, key));
        ttl.ShouldNotBeNull().ShouldBeInRange(TimeSpan.FromHours(23), TimeSpan.FromHours(24));
    }

    [Fact]
    public async Task Replays_a_streamed_chat_as_recorded()
    {
        var key = NewKey();
        var marker = Guid.NewGuid().ToString("N");

        var first = await PostAsync(gateway.Client, "/v1/chat/completions", Chat("stream " + marker, stream: true), key);
        var firstBody = await first.Content.ReadAsStringAsync();
        var second = await PostAsync(gateway.Client, "/v1/chat/completions", Chat("stream " + marker, stream: true), key);
        var secondBody = await second.Content.ReadAsStringAsync();

        first.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        firstBody.ShouldContain("data: [DONE]");
        second.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        second.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        secondBody.ShouldBe(firstBody);
        ChatCalls(marker).ShouldBe(1);
    }

    [Fact]
    public async Task Replays_a_streamed_image_generation_whole_its_relayed_partial_images_included()
    {
        var key = NewKey();
        var prompt = "image stream [slow-result] " + Guid.NewGuid().ToString("N");
        var json = $$"""{"model":"local/pixel-1","prompt":"{{prompt}}","stream":true,"partial_images":1}""";

        var first = await PostAsync(gateway.Client, "/v1/images/generations", json, key);
        var firstBody = await first.Content.ReadAsStringAsync();
        var second = await PostAsync(gateway.Client, "/v1/images/generations", json, key);
        var secondBody = await second.Content.ReadAsStringAsync();

        first.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        firstBody.ShouldStartWith("event: image_generation.partial_image\n"); // passed through as it came, not held back
        firstBody.ShouldContain("event: image_generation.completed\n");
        second.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        second.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        secondBody.ShouldBe(firstBody);
        gateway.Providers.ImageCommands.Values.Count(c => c.Prompt == prompt).ShouldBe(1);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Replays_speech_played_as_it_was_made_whole(bool sse)
    {
        var key = NewKey();
        var input = "speech stream " + Guid.NewGuid().ToString("N");
        var json = $$"""{"model":"local/espeak-1","input":"{{input}}","voice":"alloy","response_format":"wav"{{(sse ? ",\"stream_format\":\"sse\"" : "")}}}""";

        var first = await PostAsync(gateway.Client, "/v1/audio/speech", json, key);
        var firstBody = await first.Content.ReadAsByteArrayAsync();
        var second = await PostAsync(gateway.Client, "/v1/audio/speech", json, key);
        var secondBody = await second.Content.ReadAsByteArrayAsync();

        first.Content.Headers.ContentType!.MediaType.ShouldBe(sse ? "text/event-stream" : "audio/wav");
        second.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        second.Content.Headers.ContentType!.MediaType.ShouldBe(sse ? "text/event-stream" : "audio/wav");
        secondBody.ShouldBe(firstBody);
        if (!sse)
        {
            Encoding.ASCII.GetString(secondBody).ShouldBe("FAKE-AUDIO-wav");
        }

        gateway.Providers.SpeechCommands.Values.Count(c => c.Input == input).ShouldBe(1);
    }

    [Fact]
    public async Task A_provider_error_after_dispatch_is_saved_and_replayed()
    {
        var key = NewKey();
        var marker = Guid.NewGuid().ToString("N");

        var first = await PostAsync(gateway.Client, "/v1/chat/completions", Chat("[fail:400] " + marker), key);
        var second = await PostAsync(gateway.Client, "/v1/chat/completions", Chat("[fail:400] " + marker), key);

        first.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        second.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        second.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        (await second.Content.ReadAsStringAsync()).ShouldBe(await first.Content.ReadAsStringAsync());
        ChatCalls(marker).ShouldBe(1);
    }

    [Fact]
    public async Task A_response_over_the_cap_reaches_the_client_whole_and_a_retry_gets_409_instead_of_a_second_run()
    {
        await using var small = gateway.NewGateway(adminKey: null, settings: new Dictionary<string, string?> { ["Idempotency:MaxResponseBytes"] = "64" });
        using var client = small.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", gateway.ApiKey);
        var key = NewKey();
        var marker = Guid.NewGuid().ToString("N");

        var first = await PostAsync(client, "/v1/chat/completions", Chat("big " + marker, stream: true), key);
        var text = await first.Content.ReadAsStringAsync();
        var retry = await PostAsync(client, "/v1/chat/completions", Chat("big " + marker, stream: true), key);

        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        text.Length.ShouldBeGreaterThan(64);
        text.ShouldContain("Hello");
        text.ShouldEndWith("data: [DONE]\n\n");
        retry.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var error = (await GatewayFixture.ReadJsonAsync(retry))["error"]!;
        error["code"]!.GetValue<string>().ShouldBe("idempotency_response_unavailable");
        error["details"]!["original_status"]!.GetValue<string>().ShouldBe("200");
        ChatCalls(marker).ShouldBe(1);

        var json = await PostAsync(client, "/v1/chat/completions", Chat("big json " + marker), NewKey());
        json.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await GatewayFixture.ReadJsonAsync(json))["choices"]![0]!["message"]!["content"]!.GetValue<string>().ShouldContain(marker);
    }

    [Fact]
    public async Task The_same_key_with_another_body_is_422_idempotency_key_reused()
    {
        var key = NewKey();
        (await PostAsync(gateway.Client, "/v1/chat/completions", Chat("one " + Guid.NewGuid()), key)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var marker = Guid.NewGuid().ToString("N");
        var reused = await PostAsync(gateway.Client, "/v1/chat/completions", Chat("another " + marker), key);

        await GatewayFixture.ShouldBeErrorAsync(reused, (HttpStatusCode)422, "invalid_request_error", "idempotency_key_reused");
        ChatCalls(marker).ShouldBe(0);
    }

    [Fact]
    public async Task The_same_key_on_another_route_is_422_too()
    {
        var key = NewKey();
        var body = Chat("route " + Guid.NewGuid());
        (await PostAsync(gateway.Client, "/v1/chat/completions", body, key)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var other = await PostAsync(gateway.Client, "/chat/completions", body, key);

        other.StatusCode.ShouldBe((HttpStatusCode)422);
    }

    [Fact]
    public async Task A_duplicate_while_the_first_is_in_flight_is_409_idempotency_key_in_use()
    {
        var key = NewKey();
        var marker = Guid.NewGuid().ToString("N");
        using var cancel = new CancellationTokenSource();
        var slow = PostAsync(gateway.Client, "/v1/chat/completions", Chat("[hang] " + marker), key, cancel.Token);
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(ChatCalls(marker) == 1), TimeSpan.FromSeconds(10))).ShouldBeTrue();

        var duplicate = await PostAsync(gateway.Client, "/v1/chat/completions", Chat("[hang] " + marker), key);

        await GatewayFixture.ShouldBeErrorAsync(duplicate, HttpStatusCode.Conflict, "invalid_request_error", "idempotency_key_in_use");
        duplicate.Headers.GetValues("x-should-retry").ShouldBe(["true"]); // the one 409 that clears by itself: SDKs retry it
        ChatCalls(marker).ShouldBe(1);

        // In flight only under a lease (Messaging:RequestTimeout 8 s + 30 s margin), never for the whole 24 h.
        var lease = await gateway.Redis.GetDatabase().KeyTimeToLiveAsync(RecordKey(gateway.KeyId, key));
        lease.ShouldNotBeNull().ShouldBeLessThanOrEqualTo(TimeSpan.FromSeconds(38));

        await cancel.CancelAsync();
        (await Record.ExceptionAsync(() => slow)).ShouldBeAssignableTo<OperationCanceledException>();
    }

    [Fact]
    public async Task A_stream_whose_client_left_after_its_first_content_is_not_run_again_by_a_retry()
    {
        var key = NewKey();
        var marker = Guid.NewGuid().ToString("N");
        var body = Chat("[stream-stall] " + marker, stream: true);
        using var leave = new CancellationTokenSource();
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation(Header, key);
        var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, leave.Token);
        var jobId = response.Headers.GetValues(JobIds.Header).Single();
        await GatewayFixture.ReadUntilAsync(response, "\"first\"", leave.Token);

        await leave.CancelAsync();
        response.Dispose(); // the test server aborts the request when its response goes

        // Once the first request has ended (409 in use until then), the retry learns the job id to resume instead of a second run.
        HttpResponseMessage? retry = null;
        (await TestInfrastructure.EventuallyAsync(async () =>
        {
            retry = await PostAsync(gateway.Client, "/v1/chat/completions", body, key);
            return (await GatewayFixture.ReadJsonAsync(retry))["error"]?["code"]?.GetValue<string>() != "idempotency_key_in_use";
        }, TimeSpan.FromSeconds(15))).ShouldBeTrue();
        var error = await GatewayFixture.ShouldBeErrorAsync(retry!, HttpStatusCode.Conflict, "invalid_request_error", "idempotency_response_unavailable");
        error["details"]!["job_id"]!.GetValue<string>().ShouldBe(jobId);
        error["details"]!["original_status"]!.GetValue<string>().ShouldBe("200");
        ChatCalls(marker).ShouldBe(1);
    }

    [Fact]
    public async Task An_async_image_job_retried_with_the_same_key_returns_the_same_job_id()
    {
        var key = NewKey();
        var prompt = "idem async " + Guid.NewGuid().ToString("N");
        var body = $$"""{"model":"local/pixel-async-1","contents":[{"text":"{{prompt}}"}]}""";

        var first = await PostAsync(gateway.Client, "/v1/images/generate", body, key);
        var second = await PostAsync(gateway.Client, "/v1/images/generate", body, key);

        first.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        second.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        second.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        var id = (await GatewayFixture.ReadJsonAsync(first))["id"]!.GetValue<string>();
        (await GatewayFixture.ReadJsonAsync(second))["id"]!.GetValue<string>().ShouldBe(id);
        second.Headers.Location.ShouldBe(first.Headers.Location);
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(gateway.Providers.ImageCommands.Values.Any(c => c.Prompt == prompt)), TimeSpan.FromSeconds(10)))
            .ShouldBeTrue();
        gateway.Providers.ImageCommands.Values.Count(c => c.Prompt == prompt).ShouldBe(1);
    }

    [Fact]
    public async Task A_validation_failure_is_not_saved_so_the_corrected_request_runs_under_the_same_key()
    {
        var key = NewKey();
        var invalid = await PostAsync(gateway.Client, "/v1/chat/completions", """{"model":"local/echo-1","messages":[]}""", key);
        invalid.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await gateway.Redis.GetDatabase().KeyExistsAsync(RecordKey(gateway.KeyId, key))).ShouldBeFalse();

        var marker = Guid.NewGuid().ToString("N");
        var corrected = await PostAsync(gateway.Client, "/v1/chat/completions", Chat("fixed " + marker), key);

        corrected.StatusCode.ShouldBe(HttpStatusCode.OK);
        corrected.Headers.Contains("Idempotent-Replayed").ShouldBeFalse();
        ChatCalls(marker).ShouldBe(1);
    }

    [Fact]
    public async Task Keys_are_scoped_per_api_key()
    {
        var key = NewKey();
        var mine = Guid.NewGuid().ToString("N");
        var theirs = Guid.NewGuid().ToString("N");

        var first = await PostAsync(gateway.Client, "/v1/chat/completions", Chat("mine " + mine), key);
        var other = await PostAsync(gateway.OtherClient, "/v1/chat/completions", Chat("theirs " + theirs), key);

        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        other.StatusCode.ShouldBe(HttpStatusCode.OK);
        other.Headers.Contains("Idempotent-Replayed").ShouldBeFalse();
        ChatCalls(mine).ShouldBe(1);
        ChatCalls(theirs).ShouldBe(1);
        (await GatewayFixture.ReadJsonAsync(other))["choices"]![0]!["message"]!["content"]!.GetValue<string>().ShouldContain(theirs);
    }

    [Theory]
    [InlineData("too-long")]
    [InlineData("control")]
    public async Task A_bad_header_is_400_naming_it(string kind)
    {
        var marker = Guid.NewGuid().ToString("N");
        var value = kind == "too-long" ? new string('k', 256) : "bad\u007fkey";

        var response = await PostAsync(gateway.Client, "/v1/chat/completions", Chat("bad header " + marker), value);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var error = (await GatewayFixture.ReadJsonAsync(response))["error"]!;
        error["details"]!["param"]!.GetValue<string>().ShouldBe("Idempotency-Key");
        error["message"]!.GetValue<string>().ShouldContain("Idempotency-Key");
        ChatCalls(marker).ShouldBe(0);
    }

    [Theory]
    [InlineData("")]
    [InlineData("caf\u00e9")]
    [InlineData("tab\tinside")]
    public void Header_values_outside_1_to_255_printable_ascii_characters_are_refused(string value)
    {
        var error = Should.Throw<CCApi.ServiceDefaults.ApiException>(() => Idempotency.IdempotencyEndpointFilter.Validate(value));

        error.Status.ShouldBe(400);
        error.Details!["param"].ShouldBe("Idempotency-Key");
    }

    [Fact]
    public void Two_header_values_are_refused_and_a_uuid_is_accepted()
    {
        Should.Throw<CCApi.ServiceDefaults.ApiException>(() => Idempotency.IdempotencyEndpointFilter.Validate(new Microsoft.Extensions.Primitives.StringValues(["a", "b"])));
        Idempotency.IdempotencyEndpointFilter.Validate("8e03978e-40d5-43e8-bc93-6894a57f9324").ShouldBe("8e03978e-40d5-43e8-bc93-6894a57f9324");
    }

    [Fact]
    public async Task Without_Redis_a_request_with_the_header_is_refused_with_503_and_not_executed()
    {
        using var redis = new TcpProxy(TestInfrastructure.RedisEndpoint);
        await using var isolated = gateway.NewGateway(adminKey: null, cacheTtl: "00:10:00",
            new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = TestInfrastructure.RedisAt(redis.Endpoint) });
        var (_, client) = await gateway.CreateKeyAsync("""{"name":"idem-no-redis"}""", isolated);
        using var _ = client;
        (await PostAsync(client, "/v1/chat/completions", Chat("warm " + Guid.NewGuid()), null)).StatusCode.ShouldBe(HttpStatusCode.OK); // the key is cached now

        redis.Cut();
        var marker = Guid.NewGuid().ToString("N");
        var response = await PostAsync(client, "/v1/chat/completions", Chat("redis is gone " + marker), NewKey());

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await GatewayFixture.ReadJsonAsync(response))["error"]!["code"]!.GetValue<string>().ShouldBe("service_unavailable");
        ChatCalls(marker).ShouldBe(0);
    }

    [Fact]
    public async Task The_OpenAI_SDK_with_a_header_policy_gets_the_same_completion_twice()
    {
        var key = NewKey();
        var options = new OpenAIClientOptions
        {
            Endpoint = new Uri("http://localhost/v1"),
            Transport = new HttpClientPipelineTransport(gateway.Factory.CreateClient()),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        };
        options.AddPolicy(new IdempotencyKeyPolicy(key), PipelinePosition.PerCall);
        var chat = new OpenAIClient(new ApiKeyCredential(gateway.ApiKey), options).GetChatClient("local/echo-1");
        var marker = Guid.NewGuid().ToString("N");

        ChatCompletion first = await chat.CompleteChatAsync([new UserChatMessage("sdk " + marker)]);
        ChatCompletion second = await chat.CompleteChatAsync([new UserChatMessage("sdk " + marker)]);

        second.Id.ShouldBe(first.Id);
        second.Content[0].Text.ShouldBe(first.Content[0].Text);
        ChatCalls(marker).ShouldBe(1);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_header_and_the_409_and_422()
    {
        var document = await gateway.OpenApiAsync();

        var post = document["paths"]!["/v1/chat/completions"]!["post"]!;
        post["parameters"]!.AsArray().ShouldContain(p => p!["name"]!.GetValue<string>() == "Idempotency-Key" && p["in"]!.GetValue<string>() == "header");
        post["responses"]!.AsObject().ContainsKey("409").ShouldBeTrue();
        post["responses"]!.AsObject().ContainsKey("422").ShouldBeTrue();
    }

    private sealed class IdempotencyKeyPolicy(string key) : PipelinePolicy
    {
        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Set(Header, key);
            ProcessNext(message, pipeline, currentIndex);
        }

        public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Set(Header, key);
            await ProcessNextAsync(message, pipeline, currentIndex);
        }
    }
}

using System.ClientModel;
using System.Globalization;
using System.Net.Http.Headers;
using OpenAI;
using OpenAI.Chat;

namespace CCApi.EndToEnd.Tests;

/// <summary>
/// Keys, credits and limits on the real processes with TWO gateway processes sharing the broker and Redis: credits are
/// never overspent under 200 concurrent requests, an RPM limit is exact across both, a revocation reaches the other
/// gateway within a second, and the OpenAI .NET SDK surfaces 402 and 429 as <see cref="ClientResultException"/>.
/// The priced model is openai/gpt-4o-mini ($0.15 / $0.60 per million tokens) behind the OpenAI emulator.
/// </summary>
public sealed class AccountsTests(PlatformFixture platform) : PlatformTest(platform)
{
    private const string Priced = "openai/gpt-4o-mini";

    private HttpClient Admin(string origin)
    {
        var client = new HttpClient { BaseAddress = new Uri(origin), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Platform.AdminApiKey);
        return client;
    }

    private static HttpClient Client(string origin, string key) => new()
    {
        BaseAddress = new Uri(origin),
        Timeout = TimeSpan.FromSeconds(60),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", key) },
    };

    private async Task<(string Id, string Key)> CreateKeyAsync(string json)
    {
        using var admin = Admin(Platform.Origin);
        var response = await admin.PostAsync("/admin/v1/keys", Json(json));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        response.StatusCode.ShouldBe(HttpStatusCode.Created, body.ToJsonString());
        return (body["id"]!.GetValue<string>(), body["key"]!.GetValue<string>());
    }

    private async Task<JsonNode> KeyRecordAsync(string id)
    {
        using var admin = Admin(Platform.Origin);
        return JsonNode.Parse(await admin.GetStringAsync("/admin/v1/keys/" + id))!;
    }

    private static Task<HttpResponseMessage> ChatAsync(HttpClient client, string model, string content, int maxTokens = 16) =>
        client.PostAsJsonAsync("/v1/chat/completions", new { model, max_tokens = maxTokens, messages = new[] { new { role = "user", content } } });

    [Fact]
    public async Task Two_hundred_concurrent_requests_on_two_gateways_never_spend_more_than_the_credits()
    {
        Platform.OpenAI.Reset();
        (await Platform.ProviderStatusIsAsync("openai", "available", TimeSpan.FromSeconds(30))).ShouldBeTrue();
        var second = await Platform.SecondGatewayAsync();
        const string Prompt = "Say something short";

        // the actual cost of one such request, as the adapter prices the emulator's usage
        using var bootstrap = Platform.CreateClient();
        var probe = await ChatAsync(bootstrap, Priced, Prompt);
        var probeBody = JsonNode.Parse(await probe.Content.ReadAsStringAsync())!;
        probe.StatusCode.ShouldBe(HttpStatusCode.OK, probeBody.ToJsonString());
        var cost = probeBody["usage"]!["cost_usd"]!.GetValue<decimal>();
        cost.ShouldBeGreaterThan(0m);

        var initial = 50 * cost; // covers 50 requests at their actual cost; each reserves more, so fewer run at once
        var (id, key) = await CreateKeyAsync($$"""{"name":"e2e-credits","credits_usd":{{initial.ToString(CultureInfo.InvariantCulture)}}}""");
        using var one = Client(Platform.Origin, key);
        using var two = Client(second, key);

        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => ChatAsync(i % 2 == 0 ? one : two, Priced, Prompt)));

        var served = responses.Count(r => r.StatusCode == HttpStatusCode.OK);
        var refused = responses.Count(r => r.StatusCode == HttpStatusCode.PaymentRequired);
        (served + refused).ShouldBe(200, string.Join(", ", responses.Select(r => (int)r.StatusCode).Distinct()));
        served.ShouldBeInRange(1, 50);
        foreach (var response in responses.Where(r => r.StatusCode == HttpStatusCode.PaymentRequired).Take(3))
        {
            var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
            error["type"]!.GetValue<string>().ShouldBe("billing_error");
            error["code"]!.GetValue<string>().ShouldBe("insufficient_balance");
        }

        var settled = 0m;
        foreach (var response in responses.Where(r => r.StatusCode == HttpStatusCode.OK))
        {
            settled += JsonNode.Parse(await response.Content.ReadAsStringAsync())!["usage"]!["cost_usd"]!.GetValue<decimal>();
        }

        (await TestInfrastructure.EventuallyAsync(async () => (await KeyRecordAsync(id))["reserved_usd"]!.GetValue<decimal>() == 0m, TimeSpan.FromSeconds(30)))
            .ShouldBeTrue();
        var record = await KeyRecordAsync(id);
        record["credits_usd"]!.GetValue<decimal>().ShouldBe(initial - settled);
        record["spent_usd"]!.GetValue<decimal>().ShouldBe(settled);
        record["credits_usd"]!.GetValue<decimal>().ShouldBeGreaterThanOrEqualTo(0m);

        using var usage = Client(second, key);
        var report = JsonNode.Parse(await usage.GetStringAsync("/v1/usage?group_by=model"))!;
        var row = report["data"]!.AsArray().ShouldHaveSingleItem()!;
        row["requests"]!.GetValue<long>().ShouldBe(served);
        row["cost_usd"]!.GetValue<decimal>().ShouldBe(settled);
    }

    [Fact]
    public async Task An_rpm_limit_is_exact_across_two_gateways()
    {
        var second = await Platform.SecondGatewayAsync();
        var (_, key) = await CreateKeyAsync("""{"name":"e2e-rpm","limits":{"rpm":4}}""");
        using var one = Client(Platform.Origin, key);
        using var two = Client(second, key);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            statuses.Add((await ChatAsync(i % 2 == 0 ? one : two, "local/echo-1", $"rpm {i}")).StatusCode);
        }

        statuses.ShouldBe([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests]);
    }

    [Fact]
    public async Task A_revocation_reaches_the_second_gateway_within_a_second()
    {
        var second = await Platform.SecondGatewayAsync();
        var (id, key) = await CreateKeyAsync("""{"name":"e2e-revoke"}""");
        using var two = Client(second, key);
        (await two.GetAsync("/v1/key")).StatusCode.ShouldBe(HttpStatusCode.OK); // cached on the second gateway now

        using var admin = Admin(Platform.Origin);
        (await admin.DeleteAsync("/admin/v1/keys/" + id)).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await TestInfrastructure.EventuallyAsync(async () => (await two.GetAsync("/v1/key")).StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(50))).ShouldBeTrue("the second gateway still accepts the revoked key");
    }

    [Fact]
    public async Task The_openai_sdk_surfaces_402_and_429_as_client_result_exceptions_with_the_status()
    {
        var (_, broke) = await CreateKeyAsync("""{"name":"e2e-broke","credits_usd":0}""");
        var (_, limited) = await CreateKeyAsync("""{"name":"e2e-limited","limits":{"rpm":1}}""");
        ChatClient Chat(string key, string model) => new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions
        {
            Endpoint = new Uri(Platform.BaseUrl),
            RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(maxRetries: 0),
        }).GetChatClient(model);

        var payment = await Should.ThrowAsync<ClientResultException>(() => Chat(broke, Priced).CompleteChatAsync([new UserChatMessage("hello")]));
        (await Chat(limited, "local/echo-1").CompleteChatAsync([new UserChatMessage("first")])).Value.Content.ShouldNotBeEmpty();
        var limit = await Should.ThrowAsync<ClientResultException>(() => Chat(limited, "local/echo-1").CompleteChatAsync([new UserChatMessage("second")]));

        payment.Status.ShouldBe(402);
        payment.Message.ShouldContain("insufficient_balance");
        limit.Status.ShouldBe(429);
        limit.Message.ShouldContain("rate_limit_exceeded");
        limit.GetRawResponse()!.Headers.TryGetValue("x-ratelimit-remaining-requests", out var remaining).ShouldBeTrue();
        remaining.ShouldBe("0");
    }

    [Fact]
    public async Task The_openai_sdks_inline_image_reaches_the_vision_model_within_a_small_keys_limits_and_an_audio_part_is_refused_by_name()
    {
        // 300 KB of image (400 KB of base64) would be 100k tokens as text, over this key's tpm and, reserved up to the
        // window, over its credits; the catalog says gpt-4o-mini bills an image as at most 48,169 tokens.
        var (_, key) = await CreateKeyAsync("""{"name":"e2e-vision","credits_usd":0.009,"limits":{"tpm":60000}}""");
        ChatClient Chat(string model) => new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions
        {
            Endpoint = new Uri(Platform.BaseUrl),
            RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(maxRetries: 0),
        }).GetChatClient(model);
        var marker = "what is in this image? " + Guid.NewGuid().ToString("N");
        var image = BinaryData.FromBytes(System.Security.Cryptography.RandomNumberGenerator.GetBytes(300_000));
        UserChatMessage Message() => new(ChatMessageContentPart.CreateTextPart(marker), ChatMessageContentPart.CreateImagePart(image, "image/png", ChatImageDetailLevel.Low));

        var answer = (await Chat(Priced).CompleteChatAsync([Message()], new ChatCompletionOptions { MaxOutputTokenCount = 10 })).Value;

        answer.Content[0].Text.ShouldStartWith("Emulated reply to");
        var sent = Platform.OpenAI.Requests.Select(r => JsonNode.Parse(r.Body)!).Last(b => b.ToJsonString().Contains(marker, StringComparison.Ordinal));
        var part = sent["messages"]![0]!["content"]![1]!;
        part["image_url"]!["url"]!.GetValue<string>().ShouldBe("data:image/png;base64," + Convert.ToBase64String(image.ToArray()));
        part["image_url"]!["detail"]!.GetValue<string>().ShouldBe("low");

        // echo-1 takes images (it says it does not look at them) but no audio: its catalog input_modalities are text and image.
#pragma warning disable OPENAI001 // the SDK marks audio input parts as evaluation-only
        var audio = new UserChatMessage(ChatMessageContentPart.CreateTextPart(marker), ChatMessageContentPart.CreateInputAudioPart(BinaryData.FromBytes(new byte[64]), ChatInputAudioFormat.Wav));
#pragma warning restore OPENAI001
        var refused = await Should.ThrowAsync<ClientResultException>(() => Chat("local/echo-1").CompleteChatAsync([audio]));
        refused.Status.ShouldBe(400);
        refused.Message.ShouldContain("unsupported_parameter");
        refused.Message.ShouldContain("messages[0].content[1].type");
    }
}

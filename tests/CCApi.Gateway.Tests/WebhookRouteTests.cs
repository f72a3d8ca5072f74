using System.Globalization;

namespace CCApi.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class WebhookRouteTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Without_a_webhook_secret_webhook_url_is_refused_with_400_and_nothing_is_started()
    {
        await using var unsigned = gateway.NewGateway(null, settings: new Dictionary<string, string?> { ["Webhooks:Secret"] = "" });
        using var client = unsigned.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", gateway.ApiKey);
        var prompt = "no-secret " + Guid.NewGuid().ToString("N");

        var response = await gateway.PostJsonAsync("/v1/images/generate",
            $$"""{"model":"local/pixel-async-1","contents":[{"text":"{{prompt}}"}],"webhook_url":"https://hooks.example.com/ccapi"}""", client);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var error = (await GatewayFixture.ReadJsonAsync(response))["error"]!;
        error["details"]!["param"]!.GetValue<string>().ShouldBe("webhook_url");
        error["message"]!.GetValue<string>().ShouldContain("webhook_url");
        gateway.Providers.ImageCommands.Values.ShouldNotContain(c => c.Prompt == prompt);

        (await gateway.PostJsonAsync("/v1/images/generate",
            $$"""{"model":"local/pixel-async-1","contents":[{"text":"{{prompt}}"}]}""", client)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task The_job_view_shows_the_webhook_delivery_to_its_owner()
    {
        var jobId = SeedJob(new JsonObject { ["status"] = "dead", ["attempts"] = 8, ["last_error"] = "The receiver answered HTTP 503.", ["last_status_code"] = 503, ["last_attempt_at"] = 1764871234 });

        var response = await gateway.Client.GetAsync($"/v1/images/jobs/img_{jobId:N}");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var webhook = (await GatewayFixture.ReadJsonAsync(response))["webhook"]!.AsObject();
        webhook["status"]!.GetValue<string>().ShouldBe("dead");
        webhook["attempts"]!.GetValue<int>().ShouldBe(8);
        webhook["last_error"]!.GetValue<string>().ShouldBe("The receiver answered HTTP 503.");
        webhook["last_status_code"]!.GetValue<int>().ShouldBe(503);
        webhook["last_attempt_at"]!.GetValue<long>().ShouldBe(1764871234);
        webhook.ContainsKey("next_attempt_at").ShouldBeFalse();
    }

    [Fact]
    public async Task Redeliver_asks_JobStatus_for_a_new_series_and_answers_202_with_the_job_view()
    {
        var jobId = SeedJob(new JsonObject { ["status"] = "dead", ["attempts"] = 8 });

        var response = await gateway.PostJsonAsync($"/v1/images/jobs/img_{jobId:N}/webhook/redeliver", "");

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var body = await GatewayFixture.ReadJsonAsync(response);
        body["id"]!.GetValue<string>().ShouldBe($"img_{jobId:N}");
        body["webhook"]!["status"]!.GetValue<string>().ShouldBe("pending");
        body["webhook"]!["attempts"]!.GetValue<int>().ShouldBe(0);
        gateway.Internal.Redeliveries[jobId].ShouldBe(1);
    }

    [Fact]
    public async Task Redeliver_of_another_keys_job_or_an_unknown_one_is_404_and_never_reaches_JobStatus()
    {
        var jobId = SeedJob(new JsonObject { ["status"] = "delivered", ["attempts"] = 1 });

        (await gateway.PostJsonAsync($"/v1/images/jobs/img_{jobId:N}/webhook/redeliver", "", gateway.OtherClient)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await gateway.PostJsonAsync($"/v1/images/jobs/img_{Guid.NewGuid():N}/webhook/redeliver", "")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await gateway.PostJsonAsync("/v1/images/jobs/not-a-job/webhook/redeliver", "")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        gateway.Internal.Redeliveries.ContainsKey(jobId).ShouldBeFalse();
    }

    [Theory]
    [InlineData("webhook_not_set", "false")]
    [InlineData("job_not_finished", "false")]
    [InlineData("webhook_delivery_in_progress", "true")]
    public async Task JobStatus_refusals_reach_the_client_as_409_with_their_code_and_whether_to_retry(string code, string shouldRetry)
    {
        var jobId = SeedJob(null);
        gateway.Internal.RedeliverRefusals[jobId] = code;

        var response = await gateway.PostJsonAsync($"/v1/images/jobs/img_{jobId:N}/webhook/redeliver", "");

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await GatewayFixture.ReadJsonAsync(response))["error"]!["code"]!.GetValue<string>().ShouldBe(code);
        // Final: the OpenAI SDKs do not send it again; an attempt under way ends within its timeout, so they may.
        response.Headers.GetValues("x-should-retry").ShouldBe([shouldRetry]);
    }

    [Fact]
    public async Task Redeliver_counts_in_the_keys_rpm_and_answers_429_past_it()
    {
        // Each redelivery is a POST to the job's URL: a key may not send them faster than its rpm lets it call at all.
        var (keyId, client) = await gateway.CreateKeyAsync("""{"name":"redeliver-rpm","limits":{"rpm":2}}""");
        var jobId = SeedJob(new JsonObject { ["status"] = "dead", ["attempts"] = 8 }, keyId);

        for (var i = 0; i < 2; i++)
        {
            var served = await gateway.PostJsonAsync($"/v1/images/jobs/img_{jobId:N}/webhook/redeliver", "", client);
            served.StatusCode.ShouldBe(HttpStatusCode.Accepted);
            served.Headers.GetValues("x-ratelimit-limit-requests").Single().ShouldBe("2");
            served.Headers.GetValues("x-ratelimit-remaining-requests").Single().ShouldBe((1 - i).ToString(CultureInfo.InvariantCulture));
        }

        var refused = await gateway.PostJsonAsync($"/v1/images/jobs/img_{jobId:N}/webhook/redeliver", "", client);

        refused.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        refused.Headers.RetryAfter.ShouldNotBeNull();
        refused.Headers.GetValues("x-ratelimit-remaining-requests").Single().ShouldBe("0");
        var error = (await GatewayFixture.ReadJsonAsync(refused))["error"]!;
        error["code"]!.GetValue<string>().ShouldBe("rate_limit_exceeded");
        gateway.Internal.Redeliveries[jobId].ShouldBe(2);

        // The key's model routes share that budget: the same minute's chat is refused too.
        (await gateway.PostJsonAsync("/v1/chat/completions",
            """{"model":"local/echo-1","messages":[{"role":"user","content":"after redeliveries"}]}""", client)).StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
    }

    private Guid SeedJob(JsonObject? webhook, string? ownerId = null)
    {
        var jobId = Guid.NewGuid();
        var job = new JsonObject
        {
            ["id"] = jobId.ToString("N"),
            ["owner_id"] = ownerId ?? gateway.KeyId,
            ["kind"] = "image",
            ["state"] = "failed",
            ["mode"] = "async",
            ["model"] = "local/pixel-async-1",
            ["provider"] = "local",
            ["operation"] = "text-to-image",
            ["created"] = 1764870000,
            ["error"] = new JsonObject { ["message"] = "The prompt was refused.", ["type"] = "invalid_request_error", ["code"] = "invalid_request" },
        };
        if (webhook is not null)
        {
            job["webhook"] = webhook;
        }

        gateway.Internal.Jobs[jobId] = job;
        return jobId;
    }
}

using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using CCApi.JobStatus.Webhooks;
using CCApi.Storage;
using CCApi.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using StandardWebhooks;
using Reply = CCApi.JobStatus.Tests.WebhookReceiver.Reply;

namespace CCApi.JobStatus.Tests;

/// <summary>JobStatus with a signing secret and a retry schedule of seconds: 3 attempts, 300 ms apart, no jitter.</summary>
public sealed class WebhookFactory() : JobStatusFactory(new Dictionary<string, string?>
{
    ["Webhooks:Secret"] = WebhookFactory.Secret,
    ["Webhooks:Schedule"] = "00:00:00.300,00:00:00.300",
    ["Webhooks:Jitter"] = "0",
    ["Webhooks:PollInterval"] = "00:00:00.050",
    ["BlobUrls:PublicBaseUrl"] = "https://api.example.test",
})
{
    public static readonly string Secret = "whsec_" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// Whether the job drops off the retry schedule within a few seconds: the final webhook status and the removal from
    /// the schedule are two writes (the status is on the job's slot, the schedule on another), so a reader can see the first first.
    /// </summary>
    public Task<bool> LeavesTheScheduleAsync(Guid jobId) =>
        CCApi.Testing.TestInfrastructure.EventuallyAsync(async () => !await IsScheduledAsync(jobId), TimeSpan.FromSeconds(5));

    public async Task<bool> IsScheduledAsync(Guid jobId) =>
        (await Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase().SortedSetScoreAsync(RedisKeys.WebhooksDue, jobId.ToString("N"))) is not null;
}

[Collection(JobStatusBusCollection.Name)]
public sealed class WebhookDeliveryTests(WebhookFactory factory) : IClassFixture<WebhookFactory>, IAsyncLifetime
{
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task A_completed_async_job_posts_the_public_response_signed_to_the_Standard_Webhooks_spec()
    {
        var hook = _receiver.Hook(200);

        var (jobId, job) = await DeliverAsync(hook, "delivered");
        job.Webhook!.Attempts.ShouldBe(1);
        job.Webhook.DeliveredAt.ShouldNotBeNull();
        job.Webhook.LastStatusCode.ShouldBe(200);
        job.Webhook.LastError.ShouldBeNull();
        job.Webhook.NextAttemptAt.ShouldBeNull();
        var delivery = _receiver.DeliveriesTo(hook).ShouldHaveSingleItem();

        // What a receiver does with the official library: it throws on any mismatch.
        new StandardWebhook(WebhookFactory.Secret).Verify(delivery.Body, Headers(delivery));
        delivery.Headers["webhook-id"].ShouldBe($"msg_{jobId:N}_completed");
        long.Parse(delivery.Headers["webhook-timestamp"], CultureInfo.InvariantCulture).ShouldBeInRange(job.Created - 5, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        delivery.Headers["webhook-signature"].ShouldMatch("^v1,[A-Za-z0-9+/]{43}=$");
        delivery.Headers["Content-Type"].ShouldBe("application/json");
        delivery.Headers["X-CCAPI-Event"].ShouldBe("job.completed");
        LegacySignature.Verify(WebhookFactory.Secret, delivery.Headers["X-CCAPI-Signature"], delivery.Body).ShouldBeTrue(); // deprecated, still sent

        var body = JsonNode.Parse(delivery.Body)!.AsObject();
        ((string)body["id"]!).ShouldBe("img_" + jobId.ToString("N"));
        ((string)body["status"]!).ShouldBe("completed");
        ((string)body["model"]!).ShouldBe("local/pixel-async-1");
        ((long)body["created"]!).ShouldBe(job.Created);
        ((string)body["execution"]!["mode"]!).ShouldBe("async");
        ((string)body["execution"]!["operation"]!).ShouldBe("text-to-image");
        ((string)body["execution"]!["provider"]!).ShouldBe("local");
        var image = body["data"]![0]!.AsObject();
        ((string)image["url"]!).ShouldStartWith($"https://api.example.test/v1/files/{new string('a', 32)}.png?expires=");
        ((string)image["url"]!).ShouldContain("&signature=");
        ((long)image["seed"]!).ShouldBe(7);
        ((string)image["revised_prompt"]!).ShouldBe("a fox, watercolor");
        image.ContainsKey("b64_json").ShouldBeFalse();
        body.ContainsKey("error").ShouldBeFalse();
        ((int)body["progress"]!).ShouldBe(100); // as the job view shows it at the end
        ((int)body["usage"]!["images"]!).ShouldBe(1);
        ((decimal)body["usage"]!["cost_usd"]!).ShouldBe(0.04m); // what a receiver books
        (await factory.LeavesTheScheduleAsync(jobId)).ShouldBeTrue();
    }

    [Fact]
    public async Task Server_errors_are_retried_on_the_schedule_with_the_same_webhook_id_until_delivered()
    {
        var hook = _receiver.Hook(500, 503, 200);

        var (jobId, job) = await DeliverAsync(hook, "delivered");
        job.Webhook!.Attempts.ShouldBe(3);
        var deliveries = _receiver.DeliveriesTo(hook);
        deliveries.Count.ShouldBe(3);
        deliveries.Select(d => d.Headers["webhook-id"]).Distinct().ShouldHaveSingleItem().ShouldBe($"msg_{jobId:N}_completed");
        var verifier = new StandardWebhook(WebhookFactory.Secret);
        foreach (var delivery in deliveries)
        {
            verifier.Verify(delivery.Body, Headers(delivery)); // each attempt is signed with its own timestamp
        }
    }

    [Fact]
    public async Task A_retry_waits_for_the_receivers_Retry_After()
    {
        var jobId = Guid.NewGuid();
        var hook = _receiver.Hook(new Reply(503, RetryAfter: "2"), new Reply(200));
        await factory.RegisterAndGenerateAsync(jobId, hook);

        // Between the attempts the view shows the retry planned at least Retry-After later (the schedule says 300 ms).
        var waiting = await factory.WaitForJobAsync(jobId, j => j.Webhook is { Status: "pending", Attempts: 1 } || j.Webhook?.Status == "delivered");
        if (waiting.Webhook!.Status == "pending")
        {
            waiting.Webhook.LastStatusCode.ShouldBe(503);
            (waiting.Webhook.NextAttemptAt!.Value - waiting.Webhook.LastAttemptAt!.Value).ShouldBeGreaterThanOrEqualTo(2);
        }

        (await factory.WaitForWebhookAsync(jobId, "delivered")).Webhook!.Attempts.ShouldBe(2);
        var deliveries = _receiver.DeliveriesTo(hook);
        deliveries.Count.ShouldBe(2);
        (Timestamp(deliveries[1]) - Timestamp(deliveries[0])).ShouldBeGreaterThanOrEqualTo(2);
    }

    [Fact]
    public async Task A_410_Gone_stops_retries()
    {
        var jobId = Guid.NewGuid();
        var hook = _receiver.Hook(410, 200);
        await factory.RegisterAsync(TestJobs.Register(jobId, webhookUrl: hook));

        await factory.Bus.Publish(new JobCanceled { JobId = jobId, Timestamp = DateTimeOffset.UtcNow });

        var job = await factory.WaitForWebhookAsync(jobId, "failed");
        job.Webhook!.Attempts.ShouldBe(1);
        job.Webhook.LastStatusCode.ShouldBe(410);
        job.Webhook.LastError!.ShouldContain("410");
        var delivery = _receiver.DeliveriesTo(hook).ShouldHaveSingleItem();
        delivery.Headers["X-CCAPI-Event"].ShouldBe("job.canceled");
        delivery.Headers["webhook-id"].ShouldBe($"msg_{jobId:N}_canceled");
        (await factory.LeavesTheScheduleAsync(jobId)).ShouldBeTrue();
    }

    [Fact]
    public async Task After_the_last_attempt_the_delivery_is_dead_and_the_job_view_says_why()
    {
        var hook = _receiver.Hook(503);

        var (jobId, job) = await DeliverAsync(hook, "dead");
        job.Webhook!.Attempts.ShouldBe(3);
        job.Webhook.LastStatusCode.ShouldBe(503);
        job.Webhook.LastError.ShouldBe("The receiver answered HTTP 503.");
        job.Webhook.NextAttemptAt.ShouldBeNull();
        _receiver.DeliveriesTo(hook).Count.ShouldBe(3);
        (await factory.LeavesTheScheduleAsync(jobId)).ShouldBeTrue();

        using var raw = await factory.CreateClient().GetAsync($"/jobs/{jobId:N}");
        var webhook = (await raw.Content.ReadFromJsonAsync<JsonObject>())!["webhook"]!.AsObject();
        ((string)webhook["status"]!).ShouldBe("dead");
        ((int)webhook["attempts"]!).ShouldBe(3);
        ((string)webhook["last_error"]!).ShouldBe("The receiver answered HTTP 503.");
    }

    [Fact]
    public async Task Redelivery_starts_a_new_series_of_the_same_message()
    {
        var hook = _receiver.Hook(503, 503, 503, 200);
        var (jobId, _) = await DeliverAsync(hook, "dead");

        using var response = await factory.CreateClient().PostAsync($"/jobs/{jobId:N}/webhook/redeliver", null);

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var job = await factory.WaitForWebhookAsync(jobId, "delivered");
        job.Webhook!.Attempts.ShouldBe(1);
        var deliveries = _receiver.DeliveriesTo(hook);
        deliveries.Count.ShouldBe(4);
        deliveries[^1].Headers["webhook-id"].ShouldBe(deliveries[0].Headers["webhook-id"]);
        new StandardWebhook(WebhookFactory.Secret).Verify(deliveries[^1].Body, Headers(deliveries[^1]));
    }

    [Fact]
    public async Task Redelivery_refuses_unknown_jobs_jobs_without_a_webhook_and_unfinished_jobs()
    {
        var client = factory.CreateClient();
        (await client.PostAsync($"/jobs/{Guid.NewGuid():N}/webhook/redeliver", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var plain = await factory.CompleteNewJobAsync();
        await ShouldBeConflictAsync(await client.PostAsync($"/jobs/{plain:N}/webhook/redeliver", null), "webhook_not_set");

        var running = Guid.NewGuid();
        await factory.RegisterAsync(TestJobs.Register(running, webhookUrl: _receiver.Hook(200)));
        await ShouldBeConflictAsync(await client.PostAsync($"/jobs/{running:N}/webhook/redeliver", null), "job_not_finished");
    }

    [Fact]
    public async Task Redelivery_while_an_attempt_is_under_way_is_a_409_the_SDKs_may_retry()
    {
        var hook = _receiver.Hook(new WebhookReceiver.Reply(200, Delay: TimeSpan.FromSeconds(4)));
        var jobId = Guid.NewGuid();
        await factory.RegisterAndGenerateAsync(jobId, hook);
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(_receiver.DeliveriesTo(hook).Count == 1), TimeSpan.FromSeconds(15))).ShouldBeTrue();

        using var response = await factory.CreateClient().PostAsync($"/jobs/{jobId:N}/webhook/redeliver", null);

        await ShouldBeConflictAsync(response, "webhook_delivery_in_progress");
        response.Headers.GetValues("x-should-retry").ShouldBe(["true"]); // it clears when the attempt ends
        (await factory.WaitForWebhookAsync(jobId, "delivered")).Webhook!.Attempts.ShouldBe(1);
    }

    [Fact]
    public async Task Concurrent_redeliveries_start_one_series_not_one_each()
    {
        // Dead after three 503s; the redelivered attempt then takes a second, so every concurrent call lands before it ends.
        var hook = _receiver.Hook(new Reply(503), new Reply(503), new Reply(503), new Reply(200, Delay: TimeSpan.FromSeconds(1)));
        var (jobId, _) = await DeliverAsync(hook, "dead");
        var client = factory.CreateClient();

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => client.PostAsync($"/jobs/{jobId:N}/webhook/redeliver", null)));

        answers.Count(a => a.StatusCode == HttpStatusCode.Accepted).ShouldBe(1, string.Join(", ", answers.Select(a => (int)a.StatusCode)));
        foreach (var refused in answers.Where(a => a.StatusCode != HttpStatusCode.Accepted))
        {
            await ShouldBeConflictAsync(refused, "webhook_delivery_in_progress");
        }

        (await factory.WaitForWebhookAsync(jobId, "delivered")).Webhook!.Attempts.ShouldBe(1);
        await Task.Delay(500); // a second series would have sent its attempt by now
        _receiver.DeliveriesTo(hook).Count.ShouldBe(4);
    }

    [Fact]
    public async Task Redirects_are_never_followed()
    {
        var target = _receiver.Hook(200);
        var hook = _receiver.Hook(new Reply(307, Location: target));

        var (_, job) = await DeliverAsync(hook, "dead");
        job.Webhook!.LastStatusCode.ShouldBe(307);
        job.Webhook.LastError!.ShouldContain("never followed");
        _receiver.DeliveriesTo(hook).Count.ShouldBe(3);
        _receiver.DeliveriesTo(target).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_b64_json_job_inlines_the_image_bytes()
    {
        var jobId = Guid.NewGuid();
        var hook = _receiver.Hook(200);
        byte[] png = [0x89, 0x50, 0x4E, 0x47, 1, 2, 3];
        var blob = await factory.Services.GetRequiredService<IBlobStore>().PutAsync(png, "image/png");
        await factory.RegisterAsync(TestJobs.Register(jobId, webhookUrl: hook, responseFormat: "b64_json"));

        await factory.Bus.Publish(TestJobs.Generated(jobId, blob));

        await factory.WaitForWebhookAsync(jobId, "delivered");
        var image = JsonNode.Parse(_receiver.DeliveriesTo(hook).Single().Body)!["data"]![0]!.AsObject();
        ((string)image["b64_json"]!).ShouldBe(Convert.ToBase64String(png));
        image.ContainsKey("url").ShouldBeFalse();
    }

    [Fact]
    public async Task A_synchronous_job_registered_with_a_webhook_posts_it_from_its_outcome_and_one_without_a_registration_posts_none()
    {
        // The gateway registers a synchronous model's job only when the request named a webhook_url; its outcome then
        // comes as an event (the adapter publishes it besides answering the caller).
        var jobId = Guid.NewGuid();
        var hook = _receiver.Hook(200);
        await factory.RegisterAsync(TestJobs.Register(jobId, webhookUrl: hook, mode: "sync"));
        await factory.Bus.Publish(TestJobs.Generated(jobId));

        var job = await factory.WaitForWebhookAsync(jobId, "delivered");
        job.Mode.ShouldBe("sync");
        var delivery = _receiver.DeliveriesTo(hook).ShouldHaveSingleItem();
        new StandardWebhook(WebhookFactory.Secret).Verify(delivery.Body, Headers(delivery));
        delivery.Headers["X-CCAPI-Event"].ShouldBe("job.completed");
        var body = JsonNode.Parse(delivery.Body)!.AsObject();
        ((string)body["status"]!).ShouldBe("completed");
        ((string)body["execution"]!["mode"]!).ShouldBe("sync");
        ((string)body["data"]![0]!["url"]!).ShouldContain("&signature=");

        // A synchronous job recorded from its outcome alone has no webhook to send.
        var unregistered = Guid.NewGuid();
        await factory.Bus.Publish(TestJobs.Generated(unregistered));
        (await factory.WaitForJobAsync(unregistered, j => j.State == "completed")).Webhook.ShouldBeNull();
    }

    [Fact]
    public async Task A_failed_job_posts_job_failed_with_the_error_object()
    {
        var jobId = Guid.NewGuid();
        var hook = _receiver.Hook(204);
        await factory.RegisterAsync(TestJobs.Register(jobId, webhookUrl: hook));

        await factory.Bus.Publish(new JobFailed
        {
            JobId = jobId,
            Timestamp = DateTimeOffset.UtcNow,
            Error = new ErrorInfo { Status = 400, Type = "invalid_request_error", Code = "invalid_request", Message = "The prompt was refused.", Details = new Dictionary<string, string> { ["param"] = "contents" } },
        });

        await factory.WaitForWebhookAsync(jobId, "delivered");
        var delivery = _receiver.DeliveriesTo(hook).Single();
        delivery.Headers["X-CCAPI-Event"].ShouldBe("job.failed");
        delivery.Headers["webhook-id"].ShouldBe($"msg_{jobId:N}_failed");
        var body = JsonNode.Parse(delivery.Body)!.AsObject();
        ((string)body["status"]!).ShouldBe("failed");
        body.ContainsKey("data").ShouldBeFalse();
        body.ContainsKey("usage").ShouldBeFalse(); // nothing was made
        ((int)body["progress"]!).ShouldBe(0);
        ((string)body["error"]!["message"]!).ShouldBe("The prompt was refused.");
        ((string)body["error"]!["code"]!).ShouldBe("invalid_request");
        ((string)body["error"]!["details"]!["param"]!).ShouldBe("contents");
        body["error"]!.AsObject().ContainsKey("status").ShouldBeFalse(); // the public error object has no status
    }

    /// <summary>Runs a new image job to completion with its webhook on <paramref name="hook"/>; answers it once the delivery is <paramref name="outcome"/>.</summary>
    private async Task<(Guid JobId, JobView Job)> DeliverAsync(string hook, string outcome)
    {
        var jobId = Guid.NewGuid();
        await factory.RegisterAndGenerateAsync(jobId, hook);
        return (jobId, await factory.WaitForWebhookAsync(jobId, outcome));
    }

    private static async Task ShouldBeConflictAsync(HttpResponseMessage response, string code)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;
        ((string)error["code"]!).ShouldBe(code);
        if (code != "webhook_delivery_in_progress")
        {
            response.Headers.GetValues("x-should-retry").ShouldBe(["false"]); // final: the OpenAI SDKs do not send it again
        }
    }

    private static long Timestamp(WebhookReceiver.Delivery delivery) => long.Parse(delivery.Headers["webhook-timestamp"], CultureInfo.InvariantCulture);

    private static HeaderDictionary Headers(WebhookReceiver.Delivery delivery)
    {
        var headers = new HeaderDictionary();
        foreach (var (name, value) in delivery.Headers)
        {
            headers[name] = value;
        }

        return headers;
    }
}

[Collection(JobStatusBusCollection.Name)]
public sealed class PrivateWebhookTests() : WebhookHostTests(new JobStatusFactory(new Dictionary<string, string?>
{
    ["OutboundUrls:AllowPrivateNetworks"] = "false",
    ["Webhooks:Secret"] = WebhookFactory.Secret,
}))
{
    [Fact]
    public async Task A_webhook_to_a_loopback_address_is_refused_without_retries()
    {
        var job = await RefusedWebhookJobAsync(Guid.NewGuid());

        job.Webhook!.Attempts.ShouldBe(1);
        job.Webhook.LastStatusCode.ShouldBeNull();
    }
}

[Collection(JobStatusBusCollection.Name)]
public sealed class UnconfiguredWebhookTests() : WebhookHostTests(new JobStatusFactory(new Dictionary<string, string?> { ["Webhooks:Secret"] = "" }))
{
    [Fact]
    public async Task Without_a_secret_nothing_is_sent_unsigned_and_the_job_view_says_so()
    {
        var jobId = Guid.NewGuid();

        var job = await RefusedWebhookJobAsync(jobId);

        job.Webhook!.LastError!.ShouldContain("Webhooks:Secret");
        using var redeliver = await Factory.CreateClient().PostAsync($"/jobs/{jobId:N}/webhook/redeliver", null);
        redeliver.StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }
}

[Collection(JobStatusBusCollection.Name)]
public sealed class StuckJobTests : IAsyncLifetime
{
    private readonly JobStatusFactory _factory = new(new Dictionary<string, string?>
    {
        ["Jobs:StuckAfter"] = "00:00:01",
        ["Jobs:SweepInterval"] = "00:00:00.200",
    });

    [Fact]
    public async Task A_job_that_never_finishes_is_failed_with_a_504_timeout_and_JobCanceled_goes_out()
    {
        var jobId = Guid.NewGuid();
        using var consumed = _factory.WatchConsumed();
        await _factory.RegisterAsync(TestJobs.Register(jobId));
        await _factory.Bus.Publish(TestJobs.Started(jobId));

        var job = await _factory.WaitForStateAsync(jobId, "failed");

        job.Error!.Status.ShouldBe(504);
        job.Error.Code.ShouldBe("timeout");
        job.Error.Type.ShouldBe("api_error");
        // The adapters stop the job and the gateway releases its credits on it (JobStatus hears it too, and changes nothing).
        await consumed.WaitAsync<JobCanceled>(jobId);
        (await _factory.GetJobAsync(jobId))!.State.ShouldBe("failed");

        // A result that comes anyway changes nothing.
        await _factory.Bus.Publish(TestJobs.Generated(jobId));
        await consumed.WaitAsync<ImageGenerated>(jobId);
        (await _factory.GetJobAsync(jobId))!.State.ShouldBe("failed");
    }

    [Fact]
    public async Task A_job_is_watched_while_it_runs_and_leaves_the_watch_list_when_it_finishes()
    {
        // Its own JobStatus with the default stuck window: under this class's 1 s one, a loaded machine can let the
        // sweeper fail the job before its result is consumed, which is not what this test is about.
        await using var factory = new JobStatusFactory();
        var jobId = Guid.NewGuid();
        var redis = factory.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        using var consumed = factory.WatchConsumed();
        await factory.RegisterAsync(TestJobs.Register(jobId));
        (await redis.SortedSetScoreAsync(RedisKeys.ActiveJobsByDeadline, jobId.ToString("N"))).ShouldNotBeNull();

        await factory.Bus.Publish(TestJobs.Generated(jobId));
        await consumed.WaitAsync<ImageGenerated>(jobId);

        (await redis.SortedSetScoreAsync(RedisKeys.ActiveJobsByDeadline, jobId.ToString("N"))).ShouldBeNull();
        (await factory.GetJobAsync(jobId))!.State.ShouldBe("completed");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync(); // xUnit 2 does not call IAsyncDisposable
}

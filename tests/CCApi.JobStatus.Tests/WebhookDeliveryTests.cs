using System.Text.Json.Nodes;
using CCApi.Contracts;
using CCApi.JobStatus.Webhooks;
using CCApi.Storage;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace CCApi.JobStatus.Tests;

public sealed class WebhookFactory() : JobStatusFactory(new Dictionary<string, string?>
{
    ["Webhooks:SigningSecret"] = WebhookFactory.Secret,
    ["Webhooks:InitialDelay"] = "00:00:00.050",
    ["Webhooks:MaxAttempts"] = "3",
    ["BlobUrls:PublicBaseUrl"] = "https://api.example.test",
})
{
    public const string Secret = "test-webhook-secret-0123456789";
}

[Collection(JobStatusBusCollection.Name)]
public sealed class WebhookDeliveryTests(WebhookFactory factory) : IClassFixture<WebhookFactory>, IAsyncLifetime
{
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task A_completed_async_job_posts_the_signed_public_response_and_retries_after_a_500()
    {
        var jobId = Guid.NewGuid();
        var hook = _receiver.Hook(500, 200);
        await factory.RegisterAsync(TestJobs.Register(jobId, webhookUrl: hook));

        await factory.Bus.Publish(TestJobs.Generated(jobId));

        var job = await factory.WaitForJobAsync(jobId, j => j.WebhookStatus == "delivered");
        job.WebhookAttempts.ShouldBe(2);
        var deliveries = _receiver.DeliveriesTo(hook);
        deliveries.Count.ShouldBe(2);
        var delivery = deliveries[^1];

        delivery.Headers["Content-Type"].ShouldBe("application/json");
        delivery.Headers["X-CCAPI-Event"].ShouldBe("job.completed");
        delivery.Headers["X-CCAPI-Signature"].ShouldMatch("^t=[0-9]+,v1=[0-9a-f]{64}$");
        WebhookSigner.Verify(WebhookFactory.Secret, delivery.Headers["X-CCAPI-Signature"], delivery.Body).ShouldBeTrue();

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

        await factory.WaitForJobAsync(jobId, j => j.WebhookStatus == "delivered");
        var image = JsonNode.Parse(_receiver.DeliveriesTo(hook).Single().Body)!["data"]![0]!.AsObject();
        ((string)image["b64_json"]!).ShouldBe(Convert.ToBase64String(png));
        image.ContainsKey("url").ShouldBeFalse();
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

        await factory.WaitForJobAsync(jobId, j => j.WebhookStatus == "delivered");
        var delivery = _receiver.DeliveriesTo(hook).Single();
        delivery.Headers["X-CCAPI-Event"].ShouldBe("job.failed");
        var body = JsonNode.Parse(delivery.Body)!.AsObject();
        ((string)body["status"]!).ShouldBe("failed");
        body.ContainsKey("data").ShouldBeFalse();
        ((string)body["error"]!["message"]!).ShouldBe("The prompt was refused.");
        ((string)body["error"]!["code"]!).ShouldBe("invalid_request");
        ((string)body["error"]!["details"]!["param"]!).ShouldBe("contents");
        body["error"]!.AsObject().ContainsKey("status").ShouldBeFalse(); // the public error object has no status
    }

    [Fact]
    public async Task A_4xx_answer_is_final_and_is_not_retried()
    {
        var jobId = Guid.NewGuid();
        var hook = _receiver.Hook(410, 200);
        await factory.RegisterAsync(TestJobs.Register(jobId, webhookUrl: hook));

        await factory.Bus.Publish(new JobCanceled { JobId = jobId, Timestamp = DateTimeOffset.UtcNow });

        var job = await factory.WaitForJobAsync(jobId, j => j.WebhookStatus == "failed");
        job.WebhookAttempts.ShouldBe(1);
        var delivery = _receiver.DeliveriesTo(hook).Single();
        delivery.Headers["X-CCAPI-Event"].ShouldBe("job.canceled");
    }

    [Fact]
    public async Task Retries_stop_after_max_attempts()
    {
        var jobId = Guid.NewGuid();
        var hook = _receiver.Hook(503);
        await factory.RegisterAsync(TestJobs.Register(jobId, webhookUrl: hook));

        await factory.Bus.Publish(TestJobs.Generated(jobId));

        var job = await factory.WaitForJobAsync(jobId, j => j.WebhookStatus == "failed");
        job.WebhookAttempts.ShouldBe(3);
        _receiver.DeliveriesTo(hook).Count.ShouldBe(3);
    }
}

[Collection(JobStatusBusCollection.Name)]
public sealed class PrivateWebhookTests : IAsyncLifetime
{
    private readonly JobStatusFactory _factory = new(new Dictionary<string, string?> { ["OutboundUrls:AllowPrivateNetworks"] = "false" });
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task A_webhook_to_a_loopback_address_is_refused_without_retries()
    {
        var jobId = Guid.NewGuid();
        var hook = _receiver.Hook(200);
        await _factory.RegisterAsync(TestJobs.Register(jobId, webhookUrl: hook));

        await _factory.Bus.Publish(TestJobs.Generated(jobId));

        (await _factory.WaitForJobAsync(jobId, j => j.WebhookStatus == "failed")).WebhookAttempts.ShouldBe(1);
        _receiver.DeliveriesTo(hook).ShouldBeEmpty();
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
    public async Task A_job_that_never_finishes_is_failed_with_a_504_timeout()
    {
        var jobId = Guid.NewGuid();
        await _factory.RegisterAsync(TestJobs.Register(jobId));
        await _factory.Bus.Publish(TestJobs.Started(jobId));

        var job = await _factory.WaitForStateAsync(jobId, "failed");

        job.Error!.Status.ShouldBe(504);
        job.Error.Code.ShouldBe("timeout");
        job.Error.Type.ShouldBe("api_error");
    }

    [Fact]
    public async Task A_job_is_watched_while_it_runs_and_leaves_the_watch_list_when_it_finishes()
    {
        var jobId = Guid.NewGuid();
        var redis = _factory.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        using var consumed = _factory.WatchConsumed();
        await _factory.RegisterAsync(TestJobs.Register(jobId));
        (await redis.SortedSetScoreAsync(RedisKeys.ActiveJobsByDeadline, jobId.ToString("N"))).ShouldNotBeNull();

        await _factory.Bus.Publish(TestJobs.Generated(jobId));
        await consumed.WaitAsync<ImageGenerated>(jobId);

        (await redis.SortedSetScoreAsync(RedisKeys.ActiveJobsByDeadline, jobId.ToString("N"))).ShouldBeNull();
        (await _factory.GetJobAsync(jobId))!.State.ShouldBe("completed");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _factory.DisposeAsync(); // xUnit 2 does not call IAsyncDisposable
}

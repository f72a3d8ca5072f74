using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using CCApi.Storage;
using CCApi.Testing;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CCApi.JobStatus.Tests;

/// <summary>The state machine, as the Lua script enforces it, against the real Redis.</summary>
public class JobStoreTests : IClassFixture<RedisFixture>
{
    private static readonly JobRoute Route = new() { OwnerId = "key-1", Provider = "local", Model = "local/pixel-async-1", ProviderModel = "pixel-async-1" };
    private readonly RedisFixture _redis;
    private readonly JobStore _store;
    private readonly Guid _jobId = Guid.NewGuid();

    public JobStoreTests(RedisFixture redis)
    {
        _redis = redis;
        _store = new JobStore(redis.Connection, Options.Create(new JobsOptions()), TimeProvider.System);
    }

    [Fact]
    public async Task A_registered_job_is_pending_with_everything_the_gateway_said()
    {
        var registered = Register(webhookUrl: "https://example.com/hook");

        (await _store.ApplyAsync(JobChanges.Registered(registered))).Outcome.ShouldBe(JobWriteOutcome.Applied);

        var job = (await _store.GetAsync(_jobId))!;
        job.Id.ShouldBe(_jobId.ToString("N"));
        job.State.ShouldBe("pending");
        job.OwnerId.ShouldBe("key-1");
        job.Kind.ShouldBe("image");
        job.Mode.ShouldBe("async");
        job.Model.ShouldBe("local/pixel-async-1");
        job.Provider.ShouldBe("local");
        job.Operation.ShouldBe("text-to-image");
        job.ResponseFormat.ShouldBe("b64_json");
        job.EstimatedSeconds.ShouldBe(2.5);
        job.WebhookUrl.ShouldBe("https://example.com/hook");
        job.Created.ShouldBe(registered.Timestamp.ToUnixTimeSeconds());
        job.Updated.ShouldBeGreaterThanOrEqualTo(job.Created);
        job.Progress.ShouldBe(0);
        job.Webhook.ShouldBeNull();
    }

    [Fact]
    public async Task State_never_goes_backwards()
    {
        await _store.ApplyAsync(JobChanges.Registered(Register()));
        await _store.ApplyAsync(JobChanges.Started(Started()));
        (await _store.ApplyAsync(JobChanges.Registered(Register()))).State.ShouldBe("processing"); // a late register

        await _store.ApplyAsync(JobChanges.ImageGenerated(Generated()));
        var late = await _store.ApplyAsync(JobChanges.Started(Started()));

        late.Outcome.ShouldBe(JobWriteOutcome.Ignored);
        late.State.ShouldBe("completed");
        (await _store.GetAsync(_jobId))!.State.ShouldBe("completed");
    }

    [Fact]
    public async Task The_first_terminal_event_wins_and_keeps_its_result()
    {
        await _store.ApplyAsync(JobChanges.ImageGenerated(Generated()));

        var failed = await _store.ApplyAsync(JobChanges.Failed(Failed()));
        var canceled = await _store.ApplyAsync(JobChanges.Canceled(new JobCanceled { JobId = _jobId, Timestamp = DateTimeOffset.UtcNow }));

        failed.Outcome.ShouldBe(JobWriteOutcome.Ignored);
        canceled.Outcome.ShouldBe(JobWriteOutcome.Ignored);
        var job = (await _store.GetAsync(_jobId))!;
        job.State.ShouldBe("completed");
        job.Error.ShouldBeNull();
        job.Images!.Single().Blob.Id.ShouldBe("b10b");
        job.Usage!.Images.ShouldBe(1);
    }

    [Fact]
    public async Task A_failed_job_stays_failed_without_the_late_result()
    {
        await _store.ApplyAsync(JobChanges.Failed(Failed()));

        // It may still fill identity gaps (here: the operation), but never the state or the result.
        (await _store.ApplyAsync(JobChanges.ImageGenerated(Generated()))).State.ShouldBe("failed");

        var job = (await _store.GetAsync(_jobId))!;
        job.State.ShouldBe("failed");
        job.Operation.ShouldBe("text-to-image");
        job.Images.ShouldBeNull();
        job.Usage.ShouldBeNull();
        job.RevisedPrompt.ShouldBeNull();
        job.Error!.Code.ShouldBe("provider_error");
        job.Error.Status.ShouldBe(502);
        job.Error.Details!["param"].ShouldBe("prompt");
    }

    [Fact]
    public async Task Progress_only_increases_and_completion_sets_it_to_100()
    {
        await _store.ApplyAsync(JobChanges.Registered(Register()));

        (await _store.ApplyAsync(Progress(50))).Outcome.ShouldBe(JobWriteOutcome.Applied);
        (await _store.ApplyAsync(Progress(30))).Outcome.ShouldBe(JobWriteOutcome.Ignored);
        (await _store.GetAsync(_jobId))!.Progress.ShouldBe(50);
        (await _store.GetAsync(_jobId))!.State.ShouldBe("processing"); // progress means running

        await _store.ApplyAsync(Progress(70));
        (await _store.GetAsync(_jobId))!.Progress.ShouldBe(70);

        await _store.ApplyAsync(JobChanges.ImageGenerated(Generated()));
        (await _store.GetAsync(_jobId))!.Progress.ShouldBe(100);
    }

    [Fact]
    public async Task Progress_after_failure_changes_nothing()
    {
        await _store.ApplyAsync(Progress(40));
        await _store.ApplyAsync(JobChanges.Failed(Failed()));

        (await _store.ApplyAsync(Progress(90))).Outcome.ShouldBe(JobWriteOutcome.Ignored);

        var job = (await _store.GetAsync(_jobId))!;
        job.Progress.ShouldBe(40);
        job.State.ShouldBe("failed");
    }

    [Fact]
    public async Task Any_event_creates_the_record_of_a_job_never_registered()
    {
        var completed = new ChatCompleted
        {
            JobId = _jobId,
            Timestamp = DateTimeOffset.UtcNow.AddSeconds(-3),
            Route = Route with { Model = "local/echo-1", ProviderModel = "echo-1" },
            Choices = [],
            Usage = new Usage { PromptTokens = 3, CompletionTokens = 4, TotalTokens = 7 },
        };

        (await _store.ApplyAsync(JobChanges.ChatCompleted(completed))).Outcome.ShouldBe(JobWriteOutcome.Applied);

        var job = (await _store.GetAsync(_jobId))!;
        job.State.ShouldBe("completed");
        job.Kind.ShouldBe("chat");
        job.Mode.ShouldBe("sync");
        job.OwnerId.ShouldBe("key-1");
        job.Model.ShouldBe("local/echo-1");
        job.Provider.ShouldBe("local");
        job.Created.ShouldBe(completed.Timestamp.ToUnixTimeSeconds());
        job.Usage!.TotalTokens.ShouldBe(7);
    }

    [Fact]
    public async Task A_record_created_final_keeps_no_event_stream_and_a_short_ttl_but_one_that_moved_there_does_not()
    {
        var db = _redis.Connection.GetDatabase();
        var completed = new ChatCompleted
        {
            JobId = _jobId,
            Timestamp = DateTimeOffset.UtcNow,
            Route = Route with { Model = "local/echo-1", ProviderModel = "echo-1" },
            Choices = [],
            Usage = new Usage { PromptTokens = 3, CompletionTokens = 4, TotalTokens = 7 },
        };

        (await _store.ApplyAsync(JobChanges.ChatCompleted(completed))).Outcome.ShouldBe(JobWriteOutcome.Applied);

        (await db.KeyExistsAsync(RedisKeys.Job(_jobId))).ShouldBeTrue();
        (await db.KeyExistsAsync(RedisKeys.JobEvents(_jobId))).ShouldBeFalse("nobody can follow a job that had no record");
        (await db.KeyTimeToLiveAsync(RedisKeys.Job(_jobId)))!.Value.ShouldBeInRange(TimeSpan.FromMinutes(59), TimeSpan.FromHours(1), "Jobs:SynchronousTtl");

        var registered = Guid.NewGuid();
        var store = new JobStore(_redis.Connection, Options.Create(new JobsOptions()), TimeProvider.System);
        await store.ApplyAsync(JobChanges.Registered(Register() with { JobId = registered }));
        await store.ApplyAsync(JobChanges.ImageGenerated(Generated() with { JobId = registered }));
        (await db.StreamLengthAsync(RedisKeys.JobEvents(registered))).ShouldBe(2, "pending, then completed");
        (await db.KeyTimeToLiveAsync(RedisKeys.Job(registered)))!.Value.ShouldBeGreaterThan(TimeSpan.FromHours(23), "Jobs:Ttl");
    }

    [Fact]
    public async Task A_redelivered_event_changes_nothing()
    {
        var generated = JobChanges.ImageGenerated(Generated());
        (await _store.ApplyAsync(generated)).Outcome.ShouldBe(JobWriteOutcome.Applied);
        var first = await _redis.Connection.GetDatabase().HashGetAllAsync(RedisKeys.Job(_jobId));

        (await _store.ApplyAsync(generated)).Outcome.ShouldBe(JobWriteOutcome.Ignored);

        var second = await _redis.Connection.GetDatabase().HashGetAllAsync(RedisKeys.Job(_jobId));
        second.OrderBy(e => (string)e.Name!).ShouldBe(first.OrderBy(e => (string)e.Name!));
    }

    [Fact]
    public async Task Records_expire_after_the_configured_ttl()
    {
        var store = new JobStore(_redis.Connection, Options.Create(new JobsOptions { Ttl = TimeSpan.FromMinutes(5) }), TimeProvider.System);

        await store.ApplyAsync(JobChanges.Started(Started()));

        var ttl = await _redis.Connection.GetDatabase().KeyTimeToLiveAsync(RedisKeys.Job(_jobId));
        ttl.ShouldNotBeNull();
        ttl.Value.ShouldBeInRange(TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task The_webhook_of_an_async_job_is_due_when_it_ends_and_its_status_is_recorded()
    {
        await _store.ApplyAsync(JobChanges.Registered(Register(webhookUrl: "https://example.com/hook")));
        (await _store.ApplyAsync(JobChanges.Started(Started()))).WebhookDue.ShouldBeFalse();

        var ended = await _store.ApplyAsync(JobChanges.ImageGenerated(Generated()));

        ended.WebhookDue.ShouldBeTrue();
        (await _store.SetWebhookStatusAsync(_jobId, WebhookStates.Delivering, null, expected: WebhookStates.Pending)).Outcome.ShouldBe(JobWriteOutcome.Applied);
        (await _store.SetWebhookStatusAsync(_jobId, WebhookStates.Delivering, null, expected: WebhookStates.Pending)).Outcome.ShouldBe(JobWriteOutcome.Ignored); // claimed once only
        (await _store.SetWebhookStatusAsync(_jobId, WebhookStates.Delivered, 2)).Outcome.ShouldBe(JobWriteOutcome.Applied);
        (await _store.SetWebhookStatusAsync(_jobId, WebhookStates.Failed, 5)).Outcome.ShouldBe(JobWriteOutcome.Ignored); // final
        var job = (await _store.GetAsync(_jobId))!;
        job.Webhook!.Status.ShouldBe("delivered");
        job.Webhook.Attempts.ShouldBe(2);
        (await _store.ApplyAsync(JobChanges.ImageGenerated(Generated()))).WebhookDue.ShouldBeFalse();
    }

    [Fact]
    public async Task A_job_without_a_webhook_never_gets_a_webhook_status()
    {
        await _store.ApplyAsync(JobChanges.Registered(Register()));
        (await _store.ApplyAsync(JobChanges.ImageGenerated(Generated()))).WebhookDue.ShouldBeFalse();

        (await _store.SetWebhookStatusAsync(_jobId, WebhookStates.Delivered, 1)).Outcome.ShouldBe(JobWriteOutcome.Ignored);

        (await _store.GetAsync(_jobId))!.Webhook.ShouldBeNull();
    }

    [Fact]
    public async Task The_sweeper_fails_a_stuck_job_but_never_recreates_an_expired_one()
    {
        var timedOut = JobChanges.TimedOut(_jobId, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(10));

        (await _store.ApplyAsync(timedOut)).Outcome.ShouldBe(JobWriteOutcome.Missing);
        (await _store.GetAsync(_jobId)).ShouldBeNull();

        await _store.ApplyAsync(JobChanges.Registered(Register()));
        (await _store.ApplyAsync(timedOut)).State.ShouldBe("failed");
        var error = (await _store.GetAsync(_jobId))!.Error!;
        error.Status.ShouldBe(504);
        error.Code.ShouldBe("timeout");
        error.Message.ShouldBe("The job did not finish within 600 s.");
    }

    [Fact]
    public async Task The_sweeper_leaves_a_finished_job_as_it_is()
    {
        await _store.ApplyAsync(JobChanges.ImageGenerated(Generated()));

        var swept = await _store.ApplyAsync(JobChanges.TimedOut(_jobId, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(10)));

        swept.Outcome.ShouldBe(JobWriteOutcome.Ignored);
        var job = (await _store.GetAsync(_jobId))!;
        job.State.ShouldBe("completed");
        job.Error.ShouldBeNull();
    }

    [Fact]
    public async Task Tracked_jobs_become_overdue_after_stuck_after()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var store = new JobStore(_redis.Connection, Options.Create(new JobsOptions { StuckAfter = TimeSpan.FromMinutes(10) }), time);
        try
        {
            await store.TrackAsync(_jobId);
            (await store.OverdueAsync(1000)).ShouldNotContain(_jobId);

            time.Advance(TimeSpan.FromMinutes(5));
            await store.TrackAsync(_jobId); // keeps the first deadline
            time.Advance(TimeSpan.FromMinutes(5));

            (await store.OverdueAsync(1000)).ShouldContain(_jobId);
            await store.UntrackAsync(_jobId);
            (await store.OverdueAsync(1000)).ShouldNotContain(_jobId);
        }
        finally
        {
            await store.UntrackAsync(_jobId);
        }
    }

    [Fact]
    public async Task An_unknown_job_reads_as_null()
    {
        (await _store.GetAsync(Guid.NewGuid())).ShouldBeNull();
    }

    private RegisterJob Register(string? webhookUrl = null) => new()
    {
        JobId = _jobId,
        Timestamp = DateTimeOffset.UtcNow.AddSeconds(-1),
        Route = Route,
        Kind = JobKind.Image,
        Mode = "async",
        Operation = "text-to-image",
        WebhookUrl = webhookUrl,
        ResponseFormat = "b64_json",
        EstimatedSeconds = 2.5,
    };

    private JobStarted Started() => new() { JobId = _jobId, Timestamp = DateTimeOffset.UtcNow, Route = Route, Kind = JobKind.Image };

    private JobChange Progress(int percent) => JobChanges.Progressed(new JobProgressed { JobId = _jobId, Timestamp = DateTimeOffset.UtcNow, Percent = percent });

    private ImageGenerated Generated() => new()
    {
        JobId = _jobId,
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route,
        Operation = "text-to-image",
        Images = [new GeneratedImage { Blob = new BlobRef { Id = "b10b", ContentType = "image/png", Length = 12 }, Seed = 42 }],
        RevisedPrompt = "a red fox",
        Usage = new Usage { Images = 1 },
    };

    private JobFailed Failed() => new()
    {
        JobId = _jobId,
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route,
        Kind = JobKind.Image,
        Error = new ErrorInfo
        {
            Status = 502,
            Type = "api_error",
            Code = "provider_error",
            Message = "The provider refused.",
            Details = new Dictionary<string, string> { ["param"] = "prompt" },
        },
    };
}

public sealed class RedisFixture : IDisposable
{
    public ConnectionMultiplexer Connection { get; } = ConnectionMultiplexer.Connect(TestInfrastructure.Redis);

    public void Dispose() => Connection.Dispose();
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using CCApi.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace CCApi.JobStatus.Tests;

[Collection(JobStatusBusCollection.Name)]
public class JobLifecycleTests(JobStatusFactory factory) : IClassFixture<JobStatusFactory>
{
    [Fact]
    public async Task A_registration_naming_the_gateways_Redis_channel_is_answered_there_after_its_pending_record_is_written()
    {
        var redis = factory.Services.GetRequiredService<IConnectionMultiplexer>();
        var channel = RedisKeys.SynchronousReplies(Guid.NewGuid());
        var answers = await redis.GetSubscriber().SubscribeAsync(SynchronousReplies.Channel(channel));
        try
        {
            var jobId = Guid.NewGuid();
            var requestId = Guid.NewGuid();
            await factory.Bus.Publish(TestJobs.Register(jobId), context =>
            {
                context.RequestId = requestId; // as the gateway's SynchronousCalls addresses it
                context.ResponseAddress = factory.Bus.Address;
                context.Headers.Set(SynchronousReplies.ChannelHeader, channel);
            });

            using var wait = new CancellationTokenSource(JobStatusFactory.Patience);
            var message = await answers.ReadAsync(wait.Token);
            SynchronousReplies.TryParse(message.Message, out var answered, out var failed, out var json).ShouldBeTrue();
            answered.ShouldBe(requestId);
            failed.ShouldBeFalse();
            System.Text.Json.JsonSerializer.Deserialize<JobRegistered>(json.Span)!.JobId.ShouldBe(jobId);
            (await factory.GetJobAsync(jobId))!.State.ShouldBe("pending"); // no polling: the answer came after the write
        }
        finally
        {
            await answers.UnsubscribeAsync();
        }
    }

    [Fact]
    public async Task A_registered_job_exists_as_pending_as_soon_as_the_registration_is_answered()
    {
        var jobId = Guid.NewGuid();

        await factory.RegisterAsync(TestJobs.Register(jobId));

        var job = await factory.GetJobAsync(jobId); // no polling: the answer comes after the write
        job.ShouldNotBeNull();
        job.State.ShouldBe("pending");
        job.OwnerId.ShouldBe("key-it");
        job.Mode.ShouldBe("async");
        job.EstimatedSeconds.ShouldBe(2);
    }

    [Fact]
    public async Task An_async_job_goes_pending_processing_completed_with_progress_and_result()
    {
        var jobId = Guid.NewGuid();
        await factory.RegisterAsync(TestJobs.Register(jobId));

        await factory.Bus.Publish(TestJobs.Started(jobId));
        await factory.WaitForStateAsync(jobId, "processing");
        await factory.Bus.Publish(new JobProgressed { JobId = jobId, Timestamp = DateTimeOffset.UtcNow, Percent = 40 });
        (await factory.WaitForJobAsync(jobId, j => j.Progress == 40)).State.ShouldBe("processing");
        await factory.Bus.Publish(TestJobs.Generated(jobId));

        var job = await factory.WaitForStateAsync(jobId, "completed");
        job.Progress.ShouldBe(100);
        job.Images!.Single().Seed.ShouldBe(7);
        job.Images!.Single().Blob.ContentType.ShouldBe("image/png");
        job.Usage!.Cost.ShouldBe(0.04m);
    }

    [Fact]
    public async Task A_late_job_started_after_completion_does_not_regress_the_state()
    {
        using var consumed = factory.WatchConsumed();
        var jobId = await factory.CompleteNewJobAsync();

        await factory.Bus.Publish(TestJobs.Started(jobId));
        await consumed.WaitAsync<JobStarted>(jobId);

        (await factory.GetJobAsync(jobId))!.State.ShouldBe("completed");
    }

    [Fact]
    public async Task A_command_that_faults_in_its_adapter_ends_the_job_as_failed_without_leaking_the_exception()
    {
        var jobId = Guid.NewGuid();
        await factory.RegisterAsync(TestJobs.Register(jobId));

        // A stand-in adapter queue whose consumer always throws: MassTransit publishes Fault<GenerateImage>.
        var adapter = factory.Bus.ConnectReceiveEndpoint("jobstatus-tests-faulty-image", e =>
        {
            e.DiscardFaultedMessages(); // the fault is still published; the test leaves no error queue behind
            e.Handler<GenerateImage>(_ => throw new InvalidOperationException("boom: secret internals at /srv/adapter.cs:42"));
        });
        try
        {
            await adapter.Ready;
            var queue = await factory.Bus.GetSendEndpoint(new Uri("queue:jobstatus-tests-faulty-image"));
            await queue.Send(TestJobs.Command(jobId));

            var job = await factory.WaitForStateAsync(jobId, "failed");

            job.Error!.Status.ShouldBe(502);
            job.Error.Type.ShouldBe("api_error");
            job.Error.Code.ShouldBe("provider_error");
            job.Error.Message.ShouldNotContain("boom");
            job.Error.Message.ShouldNotContain("adapter.cs");
        }
        finally
        {
            await adapter.StopAsync();
        }
    }

    [Fact]
    public async Task A_sync_job_is_recorded_from_its_completion_event_alone()
    {
        var jobId = Guid.NewGuid();

        await factory.Bus.Publish(new SpeechSynthesized
        {
            JobId = jobId,
            Timestamp = DateTimeOffset.UtcNow,
            Route = TestJobs.Route with { Model = "local/espeak-1", ProviderModel = "espeak-1" },
            Audio = new BlobRef { Id = new string('b', 32), ContentType = "audio/wav", Length = 10 },
            Format = "wav",
            Usage = new Usage { Characters = 11 },
        });

        var job = await factory.WaitForStateAsync(jobId, "completed");
        job.Kind.ShouldBe("speech");
        job.Mode.ShouldBe("sync");
        job.Model.ShouldBe("local/espeak-1");
        job.Usage!.Characters.ShouldBe(11);

        // It arrived finished, so it has no event stream: its status stream serves the record itself and ends; so does
        // a reconnect with its id (0-0, also "the whole history"), never an empty stream.
        var events = await factory.ReadEventsAsync(jobId);
        events.Single().Id.ShouldBe(JobEvents.SnapshotId);
        events.Single().View!.State.ShouldBe("completed");
        var again = (await factory.ReadEventsAsync(jobId, lastEventId: JobEvents.SnapshotId)).ShouldHaveSingleItem();
        again.Id.ShouldBe(JobEvents.SnapshotId);
        again.View!.State.ShouldBe("completed");
    }

    [Fact]
    public async Task Synchronous_outcomes_batched_by_an_adapter_are_each_recorded_under_their_own_trace()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == CcapiTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var route = TestJobs.Route with { Model = "local/echo-1", ProviderModel = "echo-1" };
        var (chat, speech, failed) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        static string Trace() => $"00-{ActivityTraceId.CreateRandom()}-{ActivitySpanId.CreateRandom()}-01";
        var traces = new[] { Trace(), Trace(), Trace() };

        await factory.Bus.Publish(new SynchronousOutcomes
        {
            Outcomes =
            [
                new SynchronousOutcome
                {
                    Chat = new ChatCompleted { JobId = chat, Timestamp = DateTimeOffset.UtcNow, Route = route, Choices = [], Usage = new Usage { PromptTokens = 5, CompletionTokens = 6, TotalTokens = 11 } },
                    TraceParent = traces[0],
                },
                new SynchronousOutcome
                {
                    Speech = new SpeechSynthesized
                    {
                        JobId = speech, Timestamp = DateTimeOffset.UtcNow, Route = route with { Model = "local/espeak-1" },
                        Audio = new BlobRef { Id = new string('b', 32), ContentType = "audio/wav", Length = 10 }, Format = "wav", Usage = new Usage { Characters = 9 },
                    },
                    TraceParent = traces[1],
                },
                new SynchronousOutcome
                {
                    Failed = new JobFailed
                    {
                        JobId = failed, Timestamp = DateTimeOffset.UtcNow, Route = route, Kind = JobKind.Chat,
                        Error = new ErrorInfo { Status = 504, Type = "api_error", Code = "provider_timeout", Message = "The provider did not answer in time." },
                    },
                    TraceParent = traces[2],
                },
                new SynchronousOutcome { TraceParent = traces[0] }, // a kind a newer adapter added: skipped, the rest still recorded
            ],
        });

        var completed = await factory.WaitForStateAsync(chat, "completed");
        (completed.Kind, completed.Mode, completed.Usage!.TotalTokens).ShouldBe(("chat", "sync", 11));
        var synthesized = await factory.WaitForStateAsync(speech, "completed");
        (synthesized.Kind, synthesized.Usage!.Characters).ShouldBe(("speech", 9));
        var failure = await factory.WaitForStateAsync(failed, "failed");
        failure.Error!.Code.ShouldBe("provider_timeout");

        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(spans.Count(s => s.OperationName.StartsWith("jobstatus ", StringComparison.Ordinal)
            && traces.Contains($"00-{s.TraceId}-{s.ParentSpanId}-01")) >= 3), JobStatusFactory.Patience)).ShouldBeTrue("each record's span joins its job's trace");
        spans.Single(s => $"00-{s.TraceId}-{s.ParentSpanId}-01" == traces[0]).OperationName.ShouldBe("jobstatus ChatCompleted");
        spans.Single(s => $"00-{s.TraceId}-{s.ParentSpanId}-01" == traces[2]).OperationName.ShouldBe("jobstatus JobFailed");
    }

    [Fact]
    public async Task Job_failed_and_canceled_end_a_job_with_their_error()
    {
        var failedId = Guid.NewGuid();
        var canceledId = Guid.NewGuid();

        await factory.Bus.Publish(new JobFailed
        {
            JobId = failedId,
            Timestamp = DateTimeOffset.UtcNow,
            Route = TestJobs.Route,
            Kind = JobKind.Chat,
            Error = new ErrorInfo { Status = 504, Type = "api_error", Code = "provider_timeout", Message = "The provider did not answer in time." },
        });
        await factory.Bus.Publish(new JobCanceled { JobId = canceledId, Timestamp = DateTimeOffset.UtcNow, Reason = "client disconnected" });

        (await factory.WaitForStateAsync(failedId, "failed")).Error!.Code.ShouldBe("provider_timeout");
        var canceled = await factory.WaitForStateAsync(canceledId, "canceled");
        canceled.Error!.Code.ShouldBe("canceled");
        canceled.Error.Message.ShouldBe("client disconnected");
    }

    [Fact]
    public async Task Get_job_serves_snake_case_with_nulls_omitted()
    {
        var jobId = Guid.NewGuid();
        await factory.RegisterAsync(TestJobs.Register(jobId));

        var json = JsonNode.Parse(await factory.CreateClient().GetStringAsync($"/jobs/{jobId}"))!.AsObject();

        ((string)json["id"]!).ShouldBe(jobId.ToString("N"));
        ((string)json["owner_id"]!).ShouldBe("key-it");
        ((string)json["kind"]!).ShouldBe("image");
        ((string)json["response_format"]!).ShouldBe("url");
        ((long)json["created"]!).ShouldBeGreaterThan(0);
        json.ContainsKey("error").ShouldBeFalse();
        json.ContainsKey("images").ShouldBeFalse();
        json.ContainsKey("webhook_url").ShouldBeFalse();
    }

    [Fact]
    public async Task Get_job_answers_404_for_an_unknown_job()
    {
        var response = await factory.CreateClient().GetAsync($"/jobs/{Guid.NewGuid():N}");

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        ((string)error["code"]!).ShouldBe("not_found");
        ((string)error["type"]!).ShouldBe("invalid_request_error");
    }
}

/// <summary>GET /jobs?limit=&amp;after=: the newest asynchronous jobs, newest first, a page at a time (the admin API's list).</summary>
[Collection(JobStatusBusCollection.Name)]
public class RecentJobListTests(JobStatusFactory factory) : IClassFixture<JobStatusFactory>
{
    private async Task<(List<string> Ids, bool HasMore)> ListAsync(string query)
    {
        using var response = await factory.CreateClient().GetAsync("/jobs?" + query);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body.ToJsonString());
        return ([.. body["data"]!.AsArray().Select(j => j!["id"]!.GetValue<string>())], body["has_more"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Lists_newest_first_and_continues_after_a_cursor()
    {
        var jobs = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            jobs.Add(Guid.NewGuid());
            await factory.RegisterAsync(TestJobs.Register(jobs[^1]));
            await Task.Delay(5); // distinct registration times (the index's score is in ms)
        }

        var (first, _) = await ListAsync("limit=200");
        var ours = first.Where(id => jobs.Contains(Guid.ParseExact(id, "N"))).ToList();
        ours.ShouldBe([jobs[2].ToString("N"), jobs[1].ToString("N"), jobs[0].ToString("N")]);

        // One job a page, from the newest of ours on: the pages follow each other without a gap or a repeat.
        var (page, more) = await ListAsync($"limit=1&after={jobs[2]:N}");
        more.ShouldBeTrue();
        var next = first[first.IndexOf(jobs[2].ToString("N")) + 1];
        page.ShouldBe([next]);
        var (after, _) = await ListAsync($"limit=200&after={jobs[2]:N}");
        after.ShouldNotContain(jobs[2].ToString("N"));
        after.IndexOf(jobs[1].ToString("N")).ShouldBeLessThan(after.IndexOf(jobs[0].ToString("N")));
    }

    [Theory]
    [InlineData("after=nope")]
    [InlineData("after=00000000000000000000000000000001")] // a job id never listed
    [InlineData("limit=0")]
    [InlineData("limit=201")]
    public async Task A_bad_cursor_or_limit_is_a_400_naming_it(string query)
    {
        using var response = await factory.CreateClient().GetAsync("/jobs?" + query);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        error["details"]!["param"]!.GetValue<string>().ShouldBe(query[..query.IndexOf('=')]);
    }
}

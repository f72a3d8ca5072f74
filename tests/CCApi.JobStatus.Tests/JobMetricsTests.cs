using CCApi.Contracts;
using CCApi.JobStatus.Jobs;

namespace CCApi.JobStatus.Tests;

/// <summary>When <c>ccapi.jobs</c> counts a job, and with which (bounded) attributes.</summary>
public sealed class JobMetricsTests
{
    private static readonly JobRoute Route = new() { OwnerId = "key_1", Provider = "openai", Model = "openai/gpt-4o-mini", ProviderModel = "gpt-4o-mini" };

    [Fact]
    public void A_job_is_counted_when_a_change_moves_it_into_the_changes_target_state()
    {
        var started = JobChanges.Started(new JobStarted { JobId = Guid.NewGuid(), Timestamp = DateTimeOffset.UtcNow, Route = Route, Kind = JobKind.Image });

        JobUpdater.EnteredState(started, new JobWriteResult(JobWriteOutcome.Applied, "processing", null)).ShouldBeTrue();
        JobUpdater.EnteredState(started, new JobWriteResult(JobWriteOutcome.Ignored, "processing", null)).ShouldBeFalse();
        JobUpdater.EnteredState(started, new JobWriteResult(JobWriteOutcome.Applied, "completed", null)).ShouldBeFalse();
    }

    [Fact]
    public void A_progress_report_is_not_a_new_state()
    {
        var progressed = JobChanges.Progressed(new JobProgressed { JobId = Guid.NewGuid(), Timestamp = DateTimeOffset.UtcNow, Percent = 50 });

        JobUpdater.EnteredState(progressed, new JobWriteResult(JobWriteOutcome.Applied, "processing", null)).ShouldBeFalse();
    }

    [Fact]
    public void The_count_is_labelled_with_state_and_provider_never_the_job()
    {
        var started = JobChanges.Started(new JobStarted { JobId = Guid.NewGuid(), Timestamp = DateTimeOffset.UtcNow, Route = Route, Kind = JobKind.Image });

        var tags = JobUpdater.JobStateTags(started, "processing").ToArray().ToDictionary(t => t.Key, t => t.Value);

        tags.ShouldBe(new Dictionary<string, object?> { ["ccapi.job.state"] = "processing", ["gen_ai.provider.name"] = "openai" });
    }
}

using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace CCApi.Testing.Adapters;

/// <summary>
/// Every adapter, the local one included: a job nobody waits for any more — its client went away (JobCanceled), it was
/// canceled while queued (the job record says so), or its deadline passed — is not started and ends without calling
/// the provider; a job still wanted runs as usual.
/// </summary>
public abstract class CancellationTests<THost>(THost host)
    where THost : AdapterHost
{
    [Fact]
    public async Task A_command_for_a_job_canceled_before_it_started_never_calls_the_provider()
    {
        var command = host.Job();
        var cancellations = host.Services.GetRequiredService<JobCancellations>();
        var calls = host.ProviderRequests;

        await host.Bus.Publish(new JobCanceled { JobId = command.JobId, Timestamp = DateTimeOffset.UtcNow, Reason = "client disconnected" });
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(cancellations.WasCanceled(command.JobId)), TimeSpan.FromSeconds(10))).ShouldBeTrue();
        var error = (await host.RunJobAsync(command)).ShouldHaveFailed();

        error.Code.ShouldBe("canceled");
        host.ProviderRequests.ShouldBe(calls);
    }

    [Fact]
    public async Task A_command_for_a_job_canceled_while_it_was_queued_never_starts_and_ends_canceled()
    {
        var command = host.JobQueuedBeforeStart();
        var calls = host.ProviderRequests;
        // What POST /v1/images/jobs/{id}/cancel leaves in the job record (JobStatus' script), for a replica that never heard
        // JobCanceled: the command was queued before the replica's cancellation queue listened.
        await SetStateAsync(command.JobId, JobStates.Canceled);

        var error = (await host.RunJobAsync(command)).ShouldHaveFailed();

        error.Code.ShouldBe(ErrorCodes.Canceled);
        host.Recorded<JobStarted>(e => e.JobId == command.JobId).ShouldBeEmpty();
        host.Recorded<JobProgressed>(e => e.JobId == command.JobId).ShouldBeEmpty();
        host.Recorded<IJobResult>(e => e.JobId == command.JobId).ShouldBeEmpty();
        host.ProviderRequests.ShouldBe(calls);
    }

    [Theory]
    [InlineData(JobStates.Failed)]
    [InlineData(JobStates.Completed)]
    public async Task A_command_for_a_job_that_ended_while_it_was_queued_never_starts(string state)
    {
        // Failed: JobStatus' sweeper gave up on it (its adapter was down or behind a backlog for Jobs:StuckAfter) and the
        // client was told so; completed: an earlier run finished it. Running it now would pay the provider for nothing.
        var command = host.JobQueuedBeforeStart();
        var calls = host.ProviderRequests;
        await SetStateAsync(command.JobId, state);

        (await host.RunJobAsync(command)).ShouldHaveFailed();

        host.Recorded<JobStarted>(e => e.JobId == command.JobId).ShouldBeEmpty();
        host.Recorded<IJobResult>(e => e.JobId == command.JobId).ShouldBeEmpty();
        host.ProviderRequests.ShouldBe(calls);
    }

    [Fact]
    public async Task A_command_for_a_job_that_is_still_pending_runs_as_usual()
    {
        var command = host.Job();
        await SetStateAsync(command.JobId, JobStates.Pending);

        (await host.RunJobAsync(command)).ShouldHaveSucceeded();

        host.Recorded<JobFailed>(e => e.JobId == command.JobId).ShouldBeEmpty();
    }

    [Fact]
    public async Task Answers_504_at_once_when_the_deadline_has_passed()
    {
        var command = host.PastDeadlineJob();
        var calls = host.ProviderRequests;

        var error = (await host.RunJobAsync(command)).ShouldHaveFailed();

        error.Status.ShouldBe(504);
        host.ProviderRequests.ShouldBe(calls);
    }

    private async Task SetStateAsync(Guid jobId, string state)
    {
        var db = host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        await db.HashSetAsync(RedisKeys.Job(jobId), RedisKeys.JobStateField, state);
        await db.KeyExpireAsync(RedisKeys.Job(jobId), TimeSpan.FromMinutes(10));
    }
}

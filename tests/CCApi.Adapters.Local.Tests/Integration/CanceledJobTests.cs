using CCApi.Contracts;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using StackExchange.Redis;
using static CCApi.Adapters.Local.Tests.Support.Commands;

namespace CCApi.Adapters.Local.Tests.Integration;

[Collection(LocalAdapterCollection.Name)]
public class CanceledJobTests(LocalAdapterHost host)
{
    [Fact]
    public async Task A_command_for_a_job_canceled_while_it_was_queued_never_starts_and_ends_canceled()
    {
        var command = Image("canceled before it started", async: true);
        // What POST /v1/images/jobs/{id}/cancel leaves in the job record (JobStatus' script), for a replica that never heard JobCanceled.
        await SetStateAsync(command.JobId, JobStates.Canceled);

        await host.SendAsync("local-image", command);

        var failed = (await host.WaitForAsync<JobFailed>(e => e.JobId == command.JobId)).Single();
        failed.Error.Code.ShouldBe(ErrorCodes.Canceled);
        host.Recorded<JobStarted>(e => e.JobId == command.JobId).ShouldBeEmpty();
        host.Recorded<JobProgressed>(e => e.JobId == command.JobId).ShouldBeEmpty();
        host.Recorded<ImageGenerated>(e => e.JobId == command.JobId).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_command_for_a_job_that_is_still_pending_runs_as_usual()
    {
        var command = Image("pending and wanted", async: true);
        await SetStateAsync(command.JobId, JobStates.Pending);

        await host.SendAsync("local-image", command);

        await host.WaitForAsync<ImageGenerated>(e => e.JobId == command.JobId);
        host.Recorded<JobFailed>(e => e.JobId == command.JobId).ShouldBeEmpty();
    }

    private async Task SetStateAsync(Guid jobId, string state)
    {
        var db = host.Get<IConnectionMultiplexer>().GetDatabase();
        await db.HashSetAsync(RedisKeys.Job(jobId), RedisKeys.JobStateField, state);
        await db.KeyExpireAsync(RedisKeys.Job(jobId), TimeSpan.FromMinutes(10));
    }
}

using CCApi.Adapters.StabilityAI.Tests.Support;
using CCApi.Contracts;

namespace CCApi.Adapters.StabilityAI.Tests.Integration;

/// <summary>What every job gets from the hosting library, here through this adapter: events for JobStatus, redelivery, async progress.</summary>
public sealed class JobLifecycleTests(StabilityAIAdapterHost host) : IClassFixture<StabilityAIAdapterHost>
{
    [Fact]
    public async Task A_synchronous_job_is_answered_and_also_published_for_JobStatus()
    {
        host.Emulator.Reset();
        var command = host.TextToImage();

        var answered = await host.GeneratedAsync(command);

        var published = (await host.WaitForAsync<ImageGenerated>(e => e.JobId == command.JobId)).ShouldHaveSingleItem();
        published.Images.Select(i => i.Blob.Id).ShouldBe(answered.Images.Select(i => i.Blob.Id));
        host.Recorded<JobStarted>(e => e.JobId == command.JobId).ShouldBeEmpty(); // a sync job is never "processing"
    }

    [Fact]
    public async Task A_failed_job_is_published_as_JobFailed_too()
    {
        host.Emulator.Reset();
        var command = host.TextToImage(width: 100, height: 100);

        await host.FailedAsync(command);

        var failed = (await host.WaitForAsync<JobFailed>(e => e.JobId == command.JobId)).ShouldHaveSingleItem();
        failed.Kind.ShouldBe(JobKind.Image);
        failed.Error.Status.ShouldBe(400);
    }

    [Fact]
    public async Task A_redelivered_job_answers_with_the_stored_result_without_a_second_upstream_call()
    {
        host.Emulator.Reset();
        var command = host.TextToImage(n: 2) with { Seed = 3 };

        var first = await host.GeneratedAsync(command);
        var second = await host.GeneratedAsync(command, redelivery: true);

        second.Images.Select(i => i.Blob.Id).ShouldBe(first.Images.Select(i => i.Blob.Id));
        second.Images.Select(i => i.Seed).ShouldBe([3L, 4L]);
        host.Emulator.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task An_async_job_publishes_started_then_progress_then_the_result()
    {
        host.Emulator.Reset();
        var command = host.TextToImage() with { Async = true, Seed = 11 };

        await host.SendAsync(command);
        var generated = (await host.WaitForAsync<ImageGenerated>(e => e.JobId == command.JobId)).ShouldHaveSingleItem();

        generated.Images.ShouldHaveSingleItem().Seed.ShouldBe(11);
        generated.Usage.Images.ShouldBe(1);
        var started = host.Recorded<JobStarted>(e => e.JobId == command.JobId).ShouldHaveSingleItem();
        started.Kind.ShouldBe(JobKind.Image);
        var progress = host.Recorded<JobProgressed>(e => e.JobId == command.JobId).ShouldHaveSingleItem();
        progress.Percent.ShouldBe(75);
        started.Timestamp.ShouldBeLessThanOrEqualTo(progress.Timestamp);
        progress.Timestamp.ShouldBeLessThanOrEqualTo(generated.Timestamp);
        host.Recorded<JobFailed>(e => e.JobId == command.JobId).ShouldBeEmpty();
    }

    [Fact]
    public async Task An_async_job_with_bad_input_publishes_JobFailed_400_without_starting()
    {
        host.Emulator.Reset();
        var command = host.TextToImage(width: 640, height: 480) with { Async = true };

        await host.SendAsync(command);
        var failed = (await host.WaitForAsync<JobFailed>(e => e.JobId == command.JobId)).ShouldHaveSingleItem();

        failed.Error.Status.ShouldBe(400);
        failed.Error.Details!["param"].ShouldBe("size");
        host.Recorded<JobStarted>(e => e.JobId == command.JobId).ShouldBeEmpty();
        host.Emulator.Requests.ShouldBeEmpty();
    }
}

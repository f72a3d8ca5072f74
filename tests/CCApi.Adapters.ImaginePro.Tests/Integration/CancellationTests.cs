using CCApi.Adapters.Hosting;
using CCApi.Adapters.ImaginePro.Tests.Support;
using CCApi.Contracts;
using CCApi.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace CCApi.Adapters.ImaginePro.Tests.Integration;

/// <summary>A client that goes away (JobCanceled from the gateway) stops the polling and downloading nobody waits for.</summary>
public sealed class CancellationTests(ImagineProAdapterHost host) : IClassFixture<ImagineProAdapterHost>
{
    [Fact]
    public async Task A_job_canceled_while_it_polls_ends_as_canceled_without_downloading()
    {
        host.Emulator.Reset();
        host.Emulator.Paused = true;
        var command = host.Image(async: false) with { Deadline = DateTimeOffset.UtcNow.AddSeconds(60) };

        var asking = host.AskAsync(command);
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(host.Emulator.AllFetches >= 2), TimeSpan.FromSeconds(10))).ShouldBeTrue();
        await host.Bus.Publish(new JobCanceled { JobId = command.JobId, Timestamp = DateTimeOffset.UtcNow, Reason = "client disconnected" });
        var response = await asking;

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Code.ShouldBe("canceled");
        failed.Message.Error.Status.ShouldBe(499);
        host.Emulator.Submits.ShouldBe(1);
        host.Emulator.Downloads.ShouldBe(0);
    }

    [Fact]
    public async Task A_command_for_a_job_canceled_before_it_started_never_submits()
    {
        host.Emulator.Reset();
        var command = host.Image();
        var cancellations = host.Services.GetRequiredService<JobCancellations>();

        await host.Bus.Publish(new JobCanceled { JobId = command.JobId, Timestamp = DateTimeOffset.UtcNow, Reason = "client disconnected" });
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(cancellations.WasCanceled(command.JobId)), TimeSpan.FromSeconds(10))).ShouldBeTrue();
        var error = await host.FailedAsync(command);

        error.Code.ShouldBe("canceled");
        host.Emulator.Requests.ShouldBeEmpty();
    }
}

using CCApi.Adapters.ImaginePro.Tests.Support;
using CCApi.Contracts;
using CCApi.Testing;
using CCApi.Testing.Adapters;
using MassTransit;

namespace CCApi.Adapters.ImaginePro.Tests.Integration;

/// <summary>The kit's shared tests: jobs nobody waits for are not started (nothing is submitted).</summary>
public sealed class CancellationTests(ImagineProAdapterHost host) : CancellationTests<ImagineProAdapterHost>(host), IClassFixture<ImagineProAdapterHost>;

/// <summary>A client that goes away stops the provider call it no longer waits for (the kit's shared test).</summary>
public sealed class InFlightCancellationTests : InFlightCancellationTests<ImagineProAdapterHost>;

/// <summary>A client that goes away (JobCanceled from the gateway) stops the polling and downloading nobody waits for.</summary>
public sealed class PollingCancellationTests(ImagineProAdapterHost host) : IClassFixture<ImagineProAdapterHost>
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
}

using CCApi.Contracts;
using CCApi.Emulators;

namespace CCApi.Testing.Adapters;

/// <summary>
/// Every upstream adapter: a client that goes away (JobCanceled from the gateway) stops the provider call it no longer
/// waits for, and the job is not retried. Calls may take long here (30 s per attempt), so only the cancellation can end
/// the slow one.
/// </summary>
public abstract class InFlightCancellationTests<THost> : OwnHostTests<THost>
    where THost : AdapterHost, IEmulatedAdapterHost, new()
{
    [Fact]
    public async Task A_provider_call_in_flight_is_abandoned_when_its_job_is_canceled()
    {
        Host.Emulator.Fail(FailureMode.Slow, times: 1, delay: TimeSpan.FromSeconds(20));
        var command = Host.Job();

        var running = Host.RunJobAsync(command);
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(Host.Emulator.Requests.Count == 1), TimeSpan.FromSeconds(10))).ShouldBeTrue();
        await Host.Bus.Publish(new JobCanceled { JobId = command.JobId, Timestamp = DateTimeOffset.UtcNow, Reason = "client disconnected" });
        var error = (await running).ShouldHaveFailed();

        error.Code.ShouldBe("canceled");
        error.Status.ShouldBe(499);
        Host.Emulator.Requests.Count.ShouldBe(1, "a canceled job is not retried");
    }

    protected override void Configure(Dictionary<string, string?> overrides) => overrides["RequestTimeout"] = "00:00:30";
}

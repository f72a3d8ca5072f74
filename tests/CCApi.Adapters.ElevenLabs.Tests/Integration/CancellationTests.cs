using CCApi.Adapters.ElevenLabs.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Testing;
using CCApi.Testing.Adapters;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace CCApi.Adapters.ElevenLabs.Tests.Integration;

/// <summary>The kit's shared tests: jobs nobody waits for are not started.</summary>
public sealed class CancellationTests(ElevenLabsAdapterHost host) : CancellationTests<ElevenLabsAdapterHost>(host), IClassFixture<ElevenLabsAdapterHost>;

/// <summary>A client that goes away (JobCanceled from the gateway) stops the synthesis it no longer waits for.</summary>
public sealed class InFlightCancellationTests(InFlightCancellationTests.PatientHost host) : IClassFixture<InFlightCancellationTests.PatientHost>
{
    private IBus Bus => host.Services.GetRequiredService<IBus>();

    [Fact]
    public async Task A_synthesis_in_flight_is_abandoned_when_its_job_is_canceled()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.Slow, times: 1, delay: TimeSpan.FromSeconds(20));
        var command = host.Speech(voice: ElevenLabsAdapterHost.SarahId);

        var asked = host.AskAsync(command);
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(host.Emulator.Requests.Count == 1), TimeSpan.FromSeconds(10))).ShouldBeTrue();
        await Bus.Publish(new JobCanceled { JobId = command.JobId, Timestamp = DateTimeOffset.UtcNow, Reason = "client disconnected" });
        var response = await asked;

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Code.ShouldBe("canceled");
        failed.Message.Error.Status.ShouldBe(499);
        host.Emulator.Requests.Count.ShouldBe(1, "a canceled job is not retried");
    }

    /// <summary>Upstream calls may take long here, so only a cancellation can end the slow one.</summary>
    public sealed class PatientHost : ElevenLabsAdapterHost
    {
        protected override void Configure(Dictionary<string, string?> settings) => settings["ElevenLabs:RequestTimeout"] = "00:00:30";
    }
}

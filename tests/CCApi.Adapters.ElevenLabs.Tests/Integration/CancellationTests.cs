using CCApi.Adapters.ElevenLabs.Tests.Support;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace CCApi.Adapters.ElevenLabs.Tests.Integration;

/// <summary>A client that goes away (JobCanceled from the gateway) stops the synthesis it no longer waits for.</summary>
public sealed class CancellationTests(CancellationTests.PatientHost host) : IClassFixture<CancellationTests.PatientHost>
{
    private const string SarahId = "EXAVITQu4vr4xnSDxMaL";

    private IBus Bus => host.Services.GetRequiredService<IBus>();

    [Fact]
    public async Task A_synthesis_in_flight_is_abandoned_when_its_job_is_canceled()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.Slow, times: 1, delay: TimeSpan.FromSeconds(20));
        var command = host.Speech(voice: SarahId);

        var asked = host.AskAsync(command);
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(host.Emulator.Requests.Count == 1), TimeSpan.FromSeconds(10))).ShouldBeTrue();
        await Bus.Publish(new JobCanceled { JobId = command.JobId, Timestamp = DateTimeOffset.UtcNow, Reason = "client disconnected" });
        var response = await asked;

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Code.ShouldBe("canceled");
        failed.Message.Error.Status.ShouldBe(499);
        host.Emulator.Requests.Count.ShouldBe(1, "a canceled job is not retried");
    }

    [Fact]
    public async Task A_command_for_a_job_canceled_before_it_started_never_calls_ElevenLabs()
    {
        host.Emulator.Reset();
        var command = host.Speech(voice: "Rachel");
        var cancellations = host.Services.GetRequiredService<JobCancellations>();

        await Bus.Publish(new JobCanceled { JobId = command.JobId, Timestamp = DateTimeOffset.UtcNow, Reason = "client disconnected" });
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(cancellations.WasCanceled(command.JobId)), TimeSpan.FromSeconds(10))).ShouldBeTrue();
        var error = await host.FailedAsync(command);

        error.Code.ShouldBe("canceled");
        host.Emulator.Requests.ShouldBeEmpty("neither the voice list nor the synthesis is called");
    }

    /// <summary>Upstream calls may take long here, so only a cancellation can end the slow one.</summary>
    public sealed class PatientHost : ElevenLabsAdapterHost
    {
        protected override void Configure(Dictionary<string, string?> settings) => settings["ElevenLabs:RequestTimeout"] = "00:00:30";
    }
}

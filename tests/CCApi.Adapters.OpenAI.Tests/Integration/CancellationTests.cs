using CCApi.Adapters.OpenAI.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Testing;
using CCApi.Testing.Adapters;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace CCApi.Adapters.OpenAI.Tests.Integration;

/// <summary>The kit's shared tests: jobs nobody waits for are not started.</summary>
public sealed class CancellationTests(OpenAIAdapterHost host) : CancellationTests<OpenAIAdapterHost>(host), IClassFixture<OpenAIAdapterHost>;

/// <summary>A client that goes away stops the provider call it no longer waits for (the kit's shared test).</summary>
public sealed class InFlightCancellationTests : InFlightCancellationTests<OpenAIAdapterHost>;

/// <summary>A client that goes away (JobCanceled from the gateway) stops the upstream work it no longer waits for.</summary>
public sealed class StreamCancellationTests(StreamCancellationTests.PatientHost host) : IClassFixture<StreamCancellationTests.PatientHost>
{
    [Fact]
    public async Task A_stream_in_flight_is_abandoned_when_its_job_is_canceled()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.Slow, times: 1, delay: TimeSpan.FromSeconds(20));
        var command = host.Chat("nobody will read this", stream: true);

        var streaming = host.StreamAsync(command);
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(host.Emulator.Requests.Count == 1), TimeSpan.FromSeconds(10))).ShouldBeTrue();
        await Bus.Publish(new JobCanceled { JobId = command.JobId, Timestamp = DateTimeOffset.UtcNow, Reason = "client disconnected" });
        var deltas = await streaming;

        var error = deltas[^1].Error.ShouldNotBeNull();
        error.Code.ShouldBe("canceled");
        error.Status.ShouldBe(499);
    }

    private IBus Bus => host.Services.GetRequiredService<IBus>();

    /// <summary>Upstream calls may take long here, so only a cancellation can end the slow one.</summary>
    public sealed class PatientHost : OpenAIAdapterHost
    {
        protected override void Configure(Dictionary<string, string?> settings)
        {
            settings["OpenAI:RequestTimeout"] = "00:00:30";
            settings["OpenAI:StreamIdleTimeout"] = "00:00:30";
        }
    }
}

using CCApi.Adapters.ImaginePro.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Emulators.ImaginePro;
using CCApi.Testing;

namespace CCApi.Adapters.ImaginePro.Tests.Integration;

/// <summary>
/// Submitting twice costs money. An adapter stopped while it polls (a rolling update, a crash) leaves its command unacked;
/// RabbitMQ redelivers it to the next adapter process, which must resume polling the SAME provider job.
/// </summary>
public sealed class PollingRedeliveryTests : IAsyncLifetime
{
    private readonly string _provider = "imaginepro-redeliver-" + Guid.NewGuid().ToString("N")[..8];
    private ImagineProEmulator _emulator = null!;

    [Fact]
    public async Task A_command_redelivered_while_polling_resumes_the_stored_provider_job_instead_of_submitting_again()
    {
        var command = new GenerateImage
        {
            JobId = Guid.NewGuid(),
            Timestamp = DateTimeOffset.UtcNow,
            Route = new JobRoute { OwnerId = "test-owner", Provider = _provider, Model = $"{_provider}/nano-banana", ProviderModel = "nano-banana", Pricing = ImagineProAdapterHost.Pricing },
            Operation = "text-to-image",
            Prompt = "a lighthouse at dusk",
            Width = 1024,
            Height = 1024,
            Async = true,
        };

        // First adapter process: submits, starts polling a job that does not move, then stops before the job ends.
        _emulator.Paused = true;
        string messageId;
        int fetchesBefore;
        await using (var first = new OwnedHost(_provider, _emulator))
        {
            await first.InitializeAsync();
            await first.SendAsync(command);
            var polling = await TestInfrastructure.EventuallyAsync(
                () => Task.FromResult(first.Recorded<JobStarted>(command.JobId).Count == 1 && _emulator.AllFetches >= 2), TimeSpan.FromSeconds(30));
            polling.ShouldBeTrue("the first adapter should have submitted and be polling");
            messageId = _emulator.MessageIds.ShouldHaveSingleItem();
            first.Recorded<JobFailed>(command.JobId).ShouldBeEmpty();
            await first.StopLikeAProcessAsync(); // a rolling update: SIGTERM while the job polls
        }

        fetchesBefore = _emulator.Fetches(messageId);
        _emulator.Submits.ShouldBe(1);
        _emulator.Paused = false;

        // Second adapter process (same provider, same queue): receives the redelivered command and finishes the job.
        await using var second = new OwnedHost(_provider, _emulator);
        await second.InitializeAsync();
        var ended = await TestInfrastructure.EventuallyAsync(
            () => Task.FromResult(second.Recorded<ImageGenerated>(command.JobId).Count + second.Recorded<JobFailed>(command.JobId).Count > 0), TimeSpan.FromSeconds(60));

        ended.ShouldBeTrue("the redelivered command should have been resumed and finished");
        second.Recorded<JobFailed>(command.JobId).ShouldBeEmpty();
        var generated = second.Recorded<ImageGenerated>(command.JobId).ShouldHaveSingleItem();
        _emulator.Submits.ShouldBe(1); // the provider was paid once
        _emulator.MessageIds.ShouldHaveSingleItem().ShouldBe(messageId);
        _emulator.Fetches(messageId).ShouldBeGreaterThan(fetchesBefore); // the second process polled the stored job
        var blob = (await second.Blobs.GetAsync(generated.Images.ShouldHaveSingleItem().Blob.Id)).ShouldNotBeNull();
        blob.Bytes.ShouldBe(PngImage.Solid(messageId));
    }

    public async Task InitializeAsync() => _emulator = await ImagineProEmulator.StartAsync();

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    private sealed class OwnedHost(string provider, ImagineProEmulator emulator) : ImagineProAdapterHost(provider, emulator), IAsyncDisposable
    {
        async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();
    }
}

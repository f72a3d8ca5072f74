using CCApi.Adapters.Hosting;
using CCApi.Adapters.ImaginePro.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Testing;

namespace CCApi.Adapters.ImaginePro.Tests.Integration;

/// <summary>No API key: the adapter still runs, reports "unavailable" and fails every job with 503 at once.</summary>
public sealed class NoApiKeyTests : IAsyncLifetime
{
    private readonly NoKeyHost _host = new();

    [Fact]
    public async Task Fails_the_job_with_503_provider_unavailable_without_calling_the_provider()
    {
        var command = _host.Image();

        var error = await _host.FailedAsync(command);

        error.Status.ShouldBe(503);
        error.Code.ShouldBe("provider_unavailable");
        error.Message.ShouldContain("no API key");
        _host.Emulator.Requests.ShouldBeEmpty();
        _host.Recorded<JobStarted>(command.JobId).ShouldBeEmpty(); // nothing was accepted by the provider
    }

    [Fact]
    public async Task Publishes_heartbeats_saying_unavailable()
    {
        var arrived = await TestInfrastructure.EventuallyAsync(
            () => Task.FromResult(_host.Events.OfType<ProviderHeartbeat>().Any(h => h.Provider == _host.Provider)), TimeSpan.FromSeconds(15));

        arrived.ShouldBeTrue();
        var heartbeat = _host.Events.OfType<ProviderHeartbeat>().First(h => h.Provider == _host.Provider);
        heartbeat.Status.ShouldBe("unavailable");
        heartbeat.Detail.ShouldNotBeNull().ShouldContain("No API key");
    }

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private sealed class NoKeyHost : ImagineProAdapterHost
    {
        protected override bool WithApiKey => false;
    }
}

/// <summary>The circuit breaker: after repeated failures calls fail fast and the provider reports "degraded".</summary>
public sealed class CircuitBreakerTests : IAsyncLifetime
{
    private readonly BreakerHost _host = new();

    [Fact]
    public async Task Opens_after_repeated_failures_then_fails_fast_and_reports_degraded()
    {
        _host.Health.Current().Status.ShouldBe(ProviderHealth.Available);
        _host.Emulator.Fail(FailureMode.ServerError);

        for (var i = 0; i < 2; i++)
        {
            (await _host.FailedAsync(_host.Image())).Status.ShouldBe(502);
        }

        var before = _host.Emulator.Requests.Count;
        var fast = await _host.FailedAsync(_host.Image());

        fast.Status.ShouldBe(503);
        fast.Code.ShouldBe("provider_unavailable");
        fast.Message.ShouldContain("fail fast");
        _host.Emulator.Requests.Count.ShouldBe(before);
        var (status, detail) = _host.Health.Current();
        status.ShouldBe(ProviderHealth.Degraded);
        detail.ShouldNotBeNull();
        var degraded = await TestInfrastructure.EventuallyAsync(
            () => Task.FromResult(_host.Events.OfType<ProviderHeartbeat>().Any(h => h.Provider == _host.Provider && h.Status == ProviderHealth.Degraded)),
            TimeSpan.FromSeconds(15));
        degraded.ShouldBeTrue("the heartbeat should say degraded while the circuit is open");
    }

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private sealed class BreakerHost : ImagineProAdapterHost
    {
        protected override void Configure(Dictionary<string, string?> settings)
        {
            settings["ImaginePro:MaxRetries"] = "0";
            settings["ImaginePro:BreakerMinimumThroughput"] = "2";
            settings["ImaginePro:BreakerFailureRatio"] = "0.5";
            settings["ImaginePro:BreakerBreakDuration"] = "00:05:00";
        }
    }
}

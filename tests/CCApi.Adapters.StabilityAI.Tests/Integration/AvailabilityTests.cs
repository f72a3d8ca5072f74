using CCApi.Adapters.Hosting;
using CCApi.Adapters.StabilityAI.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Emulators.StabilityAI;
using CCApi.Testing;

namespace CCApi.Adapters.StabilityAI.Tests.Integration;

/// <summary>No API key: the adapter still runs, reports "unavailable" and answers every command with 503 at once.</summary>
public sealed class NoApiKeyTests : IAsyncLifetime
{
    private readonly NoKeyHost _host = new();

    [Fact]
    public async Task Answers_503_provider_unavailable_without_calling_the_provider()
    {
        var error = await _host.FailedAsync(_host.TextToImage());

        error.Status.ShouldBe(503);
        error.Code.ShouldBe("provider_unavailable");
        error.Message.ShouldContain("no API key");
        _host.Emulator.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task Publishes_heartbeats_saying_unavailable()
    {
        var heartbeat = (await _host.WaitForAsync<ProviderHeartbeat>(h => h.Provider == _host.Provider, seconds: 15))[0];

        heartbeat.Status.ShouldBe("unavailable");
        heartbeat.Detail.ShouldNotBeNull().ShouldContain("No API key");
    }

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private sealed class NoKeyHost : StabilityAIAdapterHost
    {
        protected override bool WithApiKey => false;
    }
}

/// <summary>A healthy adapter with a key announces the provider "available".</summary>
public sealed class HeartbeatTests(StabilityAIAdapterHost host) : IClassFixture<StabilityAIAdapterHost>
{
    [Fact]
    public async Task Publishes_heartbeats_saying_available_under_its_provider_name()
    {
        var heartbeat = (await host.WaitForAsync<ProviderHeartbeat>(h => h.Provider == host.Provider, seconds: 15))[0];

        heartbeat.Status.ShouldBe("available");
        heartbeat.Instance.ShouldNotBeNullOrEmpty();
    }
}

/// <summary>The platform's key is refused (401) or lacks permission (403): the client learns the PLATFORM's credentials were refused.</summary>
public sealed class RefusedCredentialsTests
{
    [Theory]
    [InlineData("sk-wrong-key-0000", "401")]
    [InlineData(StabilityAIEmulator.ForbiddenKeyPrefix + "0000", "403")]
    public async Task Answers_502_provider_auth_failed_saying_the_platforms_credentials_were_refused(string key, string upstreamStatus)
    {
        var host = new KeyHost(key);
        await host.InitializeAsync();
        try
        {
            var error = await host.FailedAsync(host.TextToImage());

            error.Status.ShouldBe(502);
            error.Code.ShouldBe("provider_auth_failed");
            error.Message.ShouldContain("platform's credentials");
            error.Message.ShouldContain("Your CCAPI API key is fine");
            error.Message.ShouldNotContain(key);
            error.Details!["upstream_status"].ShouldBe(upstreamStatus);
            host.Emulator.Requests.Count.ShouldBe(1); // never retried
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    private sealed class KeyHost(string key) : StabilityAIAdapterHost
    {
        protected override void Configure(Dictionary<string, string?> settings) => settings["StabilityAI:ApiKey"] = key;
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
            (await _host.FailedAsync(_host.TextToImage())).Status.ShouldBe(502);
        }

        var before = _host.Emulator.Requests.Count;
        var fast = await _host.FailedAsync(_host.TextToImage());

        fast.Status.ShouldBe(503);
        fast.Code.ShouldBe("provider_unavailable");
        fast.Message.ShouldContain("fail fast");
        _host.Emulator.Requests.Count.ShouldBe(before);
        _host.Health.Current().Status.ShouldBe(ProviderHealth.Degraded);
        var degraded = await TestInfrastructure.EventuallyAsync(
            () => Task.FromResult(_host.Recorded<ProviderHeartbeat>(h => h.Provider == _host.Provider && h.Status == "degraded").Count > 0), TimeSpan.FromSeconds(15));
        degraded.ShouldBeTrue("a heartbeat saying degraded");
    }

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private sealed class BreakerHost : StabilityAIAdapterHost
    {
        protected override void Configure(Dictionary<string, string?> settings)
        {
            settings["StabilityAI:MaxRetries"] = "0";
            settings["StabilityAI:BreakerMinimumThroughput"] = "2";
            settings["StabilityAI:BreakerFailureRatio"] = "0.5";
            settings["StabilityAI:BreakerBreakDuration"] = "00:05:00";
        }
    }
}

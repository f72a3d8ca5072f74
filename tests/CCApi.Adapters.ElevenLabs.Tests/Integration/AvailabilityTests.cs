using CCApi.Adapters.ElevenLabs.Tests.Support;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.Emulators;

namespace CCApi.Adapters.ElevenLabs.Tests.Integration;

/// <summary>No API key: the adapter still runs, reports "unavailable" and answers every command with 503 at once.</summary>
public sealed class NoApiKeyTests : IAsyncLifetime
{
    private readonly NoKeyHost _host = new();

    [Theory]
    [InlineData("EXAVITQu4vr4xnSDxMaL")]
    [InlineData("Rachel")]
    public async Task Answers_503_provider_unavailable_without_calling_ElevenLabs(string voice)
    {
        var error = await _host.FailedAsync(_host.Speech(voice: voice));

        error.Status.ShouldBe(503);
        error.Code.ShouldBe("provider_unavailable");
        error.Message.ShouldContain("no API key");
        _host.Emulator.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task Publishes_heartbeats_saying_unavailable()
    {
        await using var heartbeats = await _host.RecordAsync<ProviderHeartbeat>();

        (await heartbeats.ArrivedAsync(h => h.Provider == _host.Provider)).ShouldBeTrue();

        var heartbeat = heartbeats.Seen.First(h => h.Provider == _host.Provider);
        heartbeat.Status.ShouldBe("unavailable");
        heartbeat.Detail.ShouldNotBeNull().ShouldContain("No API key");
    }

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private sealed class NoKeyHost : ElevenLabsAdapterHost
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
        await using var heartbeats = await _host.RecordAsync<ProviderHeartbeat>();
        _host.Emulator.Fail(FailureMode.ServerError);

        for (var i = 0; i < 2; i++)
        {
            (await _host.FailedAsync(_host.Speech(voice: "EXAVITQu4vr4xnSDxMaL"))).Status.ShouldBe(502);
        }

        var before = _host.Emulator.Requests.Count;
        var fast = await _host.FailedAsync(_host.Speech(voice: "EXAVITQu4vr4xnSDxMaL"));

        fast.Status.ShouldBe(503);
        fast.Code.ShouldBe("provider_unavailable");
        fast.Message.ShouldContain("fail fast");
        _host.Emulator.Requests.Count.ShouldBe(before);
        _host.Health.Current().Status.ShouldBe(ProviderHealth.Degraded);
        (await heartbeats.ArrivedAsync(h => h.Provider == _host.Provider && h.Status == "degraded")).ShouldBeTrue();
    }

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private sealed class BreakerHost : ElevenLabsAdapterHost
    {
        protected override void Configure(Dictionary<string, string?> settings)
        {
            settings["ElevenLabs:MaxRetries"] = "0";
            settings["ElevenLabs:BreakerMinimumThroughput"] = "2";
            settings["ElevenLabs:BreakerFailureRatio"] = "0.5";
            settings["ElevenLabs:BreakerBreakDuration"] = "00:05:00";
        }
    }
}

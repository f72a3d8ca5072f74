using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.Emulators;

namespace CCApi.Testing.Adapters;

/// <summary>Every upstream adapter's circuit breaker: after repeated failures calls fail fast and the provider reports "degraded".</summary>
public abstract class CircuitBreakerTests<THost> : OwnHostTests<THost>
    where THost : AdapterHost, IEmulatedAdapterHost, new()
{
    [Fact]
    public async Task Opens_after_repeated_failures_then_fails_fast_and_reports_degraded()
    {
        Host.Health.Current().Status.ShouldBe(ProviderHealth.Available);
        Host.Emulator.Fail(FailureMode.ServerError);

        for (var i = 0; i < 2; i++)
        {
            (await Host.RunJobAsync(Host.Job())).ShouldHaveFailed().Status.ShouldBe(502);
        }

        var before = Host.Emulator.Requests.Count;
        var fast = (await Host.RunJobAsync(Host.Job())).ShouldHaveFailed();

        fast.Status.ShouldBe(503);
        fast.Code.ShouldBe("provider_unavailable");
        fast.Message.ShouldContain("fail fast");
        Host.Emulator.Requests.Count.ShouldBe(before);
        var (status, detail) = Host.Health.Current();
        status.ShouldBe(ProviderHealth.Degraded);
        detail.ShouldNotBeNull();
        await Host.WaitForAsync<ProviderHeartbeat>(h => h.Provider == Host.Provider && h.Status == ProviderHealth.Degraded, seconds: 15);
    }

    protected override void Configure(Dictionary<string, string?> overrides)
    {
        overrides["MaxRetries"] = "0";
        overrides["BreakerMinimumThroughput"] = "2";
        overrides["BreakerFailureRatio"] = "0.5";
        overrides["BreakerBreakDuration"] = "00:05:00";
    }
}

using CCApi.Adapters.Hosting;
using CCApi.Contracts;

namespace CCApi.Testing.Adapters;

/// <summary>Every adapter, the local one included: a healthy adapter announces its provider "available" to the catalog.</summary>
public abstract class AvailabilityTests<THost>(THost host)
    where THost : AdapterHost
{
    [Fact]
    public async Task Publishes_heartbeats_saying_available_under_its_provider_name()
    {
        // Other adapter instances in this test process announce other provider names; this one is the host's.
        var heartbeat = (await host.WaitForAsync<ProviderHeartbeat>(h => h.Provider == host.Provider && h.Instance == ProviderHealth.Instance, seconds: 15))[0];

        heartbeat.Status.ShouldBe("available");
        heartbeat.Detail.ShouldBeNull();
        heartbeat.Instance.ShouldNotBeNullOrEmpty();
        heartbeat.Timestamp.ShouldBeGreaterThan(DateTimeOffset.UtcNow.AddMinutes(-5));
    }
}

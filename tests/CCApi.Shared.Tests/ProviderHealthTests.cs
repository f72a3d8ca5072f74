using CCApi.Adapters.Hosting;
using CCApi.Contracts;

namespace CCApi.Shared.Tests;

/// <summary>What every adapter's heartbeat reports (<see cref="ProviderHealth"/> over its status sources) and how much it runs at once.</summary>
public sealed class ProviderHealthTests
{
    [Fact]
    public void Reports_available_when_no_source_has_a_problem()
    {
        var health = Health(new Options { ApiKey = "sk-set" }, new Fixed(null));

        health.Current().ShouldBe(new ProviderStatus(ProviderHealth.Available, null));
        var heartbeat = health.Heartbeat();
        heartbeat.Provider.ShouldBe("test-provider");
        heartbeat.Status.ShouldBe("available");
        heartbeat.Instance.ShouldBe(ProviderHealth.Instance);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Reports_the_worst_problem_whatever_the_order_of_the_sources(bool degradedFirst)
    {
        var degraded = new Fixed(new ProviderStatus(ProviderHealth.Degraded, "slow"));
        var missingKey = new ApiKeyStatus(new Options());

        var health = degradedFirst ? Health(new Options(), degraded, missingKey) : Health(new Options(), missingKey, degraded);

        var (status, detail) = health.Current();
        status.ShouldBe(ProviderHealth.Unavailable);
        detail.ShouldBe("No API key is configured for provider 'test-provider'.");
    }

    [Fact]
    public void A_degraded_source_makes_the_provider_degraded()
    {
        var health = Health(new Options { ApiKey = "sk-set" }, new ApiKeyStatus(new Options { ApiKey = "sk-set" }), new Fixed(new ProviderStatus(ProviderHealth.Degraded, "espeak-ng is not installed")));

        health.Current().ShouldBe(new ProviderStatus(ProviderHealth.Degraded, "espeak-ng is not installed"));
    }

    [Fact]
    public void A_kind_without_its_own_limit_runs_ConcurrencyLimit_at_once()
    {
        var options = new Options { ConcurrencyLimit = 7, ImageConcurrencyLimit = 2 };

        options.ConcurrencyFor(JobKind.Image).ShouldBe(2);
        options.ConcurrencyFor(JobKind.Chat).ShouldBe(7);
        options.ConcurrencyFor(JobKind.Speech).ShouldBe(7);
    }

    private static ProviderHealth Health(AdapterOptions options, params IProviderStatusSource[] sources) => new(options, sources, TimeProvider.System);

    private sealed class Options() : UpstreamAdapterOptions("test-provider", publicBaseUrl: "");

    private sealed class Fixed(ProviderStatus? problem) : IProviderStatusSource
    {
        public ProviderStatus? Problem() => problem;
    }
}

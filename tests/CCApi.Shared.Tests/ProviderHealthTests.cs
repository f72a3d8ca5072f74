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
        options.AsyncImageConcurrency.ShouldBe(2); // async image jobs: as many slots again, on their own queue
        new Options { ConcurrencyLimit = 7 }.AsyncImageConcurrency.ShouldBe(7);
        new Options { ImageConcurrencyLimit = 2, AsyncImageConcurrencyLimit = 9 }.AsyncImageConcurrency.ShouldBe(9);
    }

    [Fact]
    public async Task A_wait_without_a_change_ends_false_at_its_timeout_and_throws_nothing()
    {
        var health = Health(new Options(), new Fixed(null));

        (await health.WaitForChangeAsync(TimeSpan.FromMilliseconds(30), CancellationToken.None)).ShouldBeFalse();
        (await health.WaitForChangeAsync(TimeSpan.FromMilliseconds(30), CancellationToken.None)).ShouldBeFalse();
    }

    [Fact]
    public async Task A_change_ends_the_wait_at_once_after_waits_that_timed_out()
    {
        var health = Health(new Options(), new Fixed(null));
        for (var i = 0; i < 3; i++)
        {
            (await health.WaitForChangeAsync(TimeSpan.FromMilliseconds(10), CancellationToken.None)).ShouldBeFalse();
        }

        var wait = health.WaitForChangeAsync(TimeSpan.FromMinutes(5), CancellationToken.None);
        wait.IsCompleted.ShouldBeFalse();
        health.Changed();

        (await wait.WaitAsync(TimeSpan.FromSeconds(10))).ShouldBeTrue();
        (await health.WaitForChangeAsync(TimeSpan.FromMilliseconds(10), CancellationToken.None)).ShouldBeFalse("the change was taken once");
    }

    [Fact]
    public async Task A_change_while_nobody_waits_is_seen_by_the_next_wait_and_changes_in_between_count_once()
    {
        var health = Health(new Options(), new Fixed(null));
        health.Changed();
        health.Changed();

        (await health.WaitForChangeAsync(TimeSpan.FromMinutes(5), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10))).ShouldBeTrue();
        (await health.WaitForChangeAsync(TimeSpan.FromMilliseconds(10), CancellationToken.None)).ShouldBeFalse();
    }

    [Fact]
    public async Task Stopping_ends_the_wait_with_a_cancellation()
    {
        var health = Health(new Options(), new Fixed(null));
        using var stopping = new CancellationTokenSource();

        var wait = health.WaitForChangeAsync(TimeSpan.FromMinutes(5), stopping.Token);
        await stopping.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => wait.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private static ProviderHealth Health(AdapterOptions options, params IProviderStatusSource[] sources) => new(options, sources, TimeProvider.System);

    private sealed class Options() : UpstreamAdapterOptions("test-provider", publicBaseUrl: "");

    private sealed class Fixed(ProviderStatus? problem) : IProviderStatusSource
    {
        public ProviderStatus? Problem() => problem;
    }
}

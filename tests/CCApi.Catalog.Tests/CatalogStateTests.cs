using CCApi.Catalog;
using CCApi.Contracts;

namespace CCApi.Catalog.Tests;

public class CatalogStateTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));
    private readonly CatalogState _catalog;

    public CatalogStateTests() => _catalog = new CatalogState(TestCatalog.Document, Timeout, _time);

    [Fact]
    public void A_provider_not_heard_from_yet_is_degraded_until_the_timeout_then_unavailable()
    {
        Status("openai").ShouldBe("degraded");

        _time.Advance(Timeout);

        _catalog.ExpireStale().ShouldBeTrue();
        Status("openai").ShouldBe("unavailable");
    }

    [Fact]
    public void A_heartbeat_makes_a_provider_available_and_reports_the_change_once()
    {
        _catalog.ApplyHeartbeat(Beat("openai", "available")).ShouldBeTrue();
        Status("openai").ShouldBe("available");
        Provider("openai").LastSeen.ShouldBe(_time.GetUtcNow());

        _time.Advance(TimeSpan.FromSeconds(10));
        _catalog.ApplyHeartbeat(Beat("openai", "available")).ShouldBeFalse();
        Provider("openai").LastSeen.ShouldBe(_time.GetUtcNow());
    }

    [Fact]
    public void A_provider_whose_heartbeats_stop_becomes_unavailable_after_the_timeout()
    {
        _catalog.ApplyHeartbeat(Beat("openai", "available"));

        _time.Advance(Timeout - TimeSpan.FromSeconds(1));
        _catalog.ExpireStale().ShouldBeFalse();
        Status("openai").ShouldBe("available");

        _time.Advance(TimeSpan.FromSeconds(1));
        _catalog.ExpireStale().ShouldBeTrue();
        Status("openai").ShouldBe("unavailable");
        Provider("openai").StatusDetail.ShouldBe("No heartbeat from the provider's adapter for 30 s.");
    }

    [Fact]
    public void Reports_degraded_and_its_detail_as_the_adapter_says()
    {
        _catalog.ApplyHeartbeat(Beat("openai", "degraded", detail: "429s from upstream"));

        Status("openai").ShouldBe("degraded");
        Provider("openai").StatusDetail.ShouldBe("429s from upstream");
    }

    [Fact]
    public void A_provider_is_as_good_as_its_best_live_instance()
    {
        _catalog.ApplyHeartbeat(Beat("openai", "degraded", instance: "a"));
        _time.Advance(TimeSpan.FromSeconds(20));
        _catalog.ApplyHeartbeat(Beat("openai", "available", instance: "b")).ShouldBeTrue();
        Status("openai").ShouldBe("available");

        _time.Advance(TimeSpan.FromSeconds(15)); // a is gone, b is live
        _catalog.ApplyHeartbeat(Beat("openai", "degraded", instance: "c"));
        _catalog.ExpireStale();
        Status("openai").ShouldBe("available");

        _time.Advance(TimeSpan.FromSeconds(15)); // b is gone, c is live
        _catalog.ExpireStale().ShouldBeTrue();
        Status("openai").ShouldBe("degraded");
    }

    [Fact]
    public void Ignores_a_late_heartbeat_older_than_the_last_one_from_the_same_instance()
    {
        var now = _time.GetUtcNow();
        _catalog.ApplyHeartbeat(Beat("openai", "available", timestamp: now));

        _catalog.ApplyHeartbeat(Beat("openai", "unavailable", timestamp: now - TimeSpan.FromSeconds(5))).ShouldBeFalse();

        Status("openai").ShouldBe("available");
    }

    [Fact]
    public void Ignores_heartbeats_of_providers_not_in_the_definition()
    {
        var before = _catalog.Current;

        _catalog.ApplyHeartbeat(Beat("ghost", "available")).ShouldBeFalse();

        _catalog.Current.ShouldBeSameAs(before);
    }

    [Fact]
    public void Each_change_gets_a_new_version_and_the_models_carry_their_provider_status()
    {
        var before = _catalog.Current.Document.Version;

        _catalog.ApplyHeartbeat(Beat("local", "available"));

        var after = _catalog.Current;
        after.Document.Version.ShouldNotBe(before);
        after.Document.Version.ShouldStartWith(TestCatalog.Document.Version + "+");
        _catalog.ChangedEvent().Version.ShouldBe(after.Document.Version);
        after.Models.Where(m => m.Provider.Name == "local").ShouldAllBe(m => m.Ccapi.Status == "available");
        after.Models.Where(m => m.Provider.Name != "local").ShouldAllBe(m => m.Ccapi.Status == "degraded");
        after.FindProvider("local")!.Models.Count.ShouldBe(4);
    }

    [Fact]
    public void A_new_definition_keeps_the_live_status_of_remaining_providers()
    {
        _catalog.ApplyHeartbeat(Beat("local", "available"));
        var definition = TestCatalog.Document;
        var smaller = definition with
        {
            Version = "next",
            Providers = definition.Providers.Where(p => p.Name != "imaginepro").ToList(),
            Models = definition.Models.Where(m => m.Provider != "imaginepro").ToList(),
        };

        _catalog.ReplaceDefinition(smaller);

        Status("local").ShouldBe("available");
        _catalog.Current.Document.Version.ShouldStartWith("next+");
        _catalog.Current.FindProvider("imaginepro").ShouldBeNull();
        _catalog.Current.Models.ShouldNotContain(m => m.Provider.Name == "imaginepro");
    }

    [Fact]
    public void The_provider_status_gauge_reports_one_for_the_current_status_and_zero_for_the_others()
    {
        _catalog.ApplyHeartbeat(Beat("openai", "available"));

        var openai = ProviderStatusMetric.Measurements(_catalog)
            .Where(m => m.Tags.ToArray().Contains(new KeyValuePair<string, object?>("gen_ai.provider.name", "openai")))
            .ToDictionary(m => (string)m.Tags.ToArray().Single(t => t.Key == "ccapi.provider.status").Value!, m => m.Value);

        openai.ShouldBe(new Dictionary<string, int> { ["available"] = 1, ["degraded"] = 0, ["unavailable"] = 0 });
        ProviderStatusMetric.Measurements(_catalog).Count().ShouldBe(3 * _catalog.Current.Document.Providers.Count);
    }

    private ProviderEntry Provider(string name) => _catalog.Current.Document.Providers.Single(p => p.Name == name);

    private string Status(string name) => Provider(name).Status;

    private ProviderHeartbeat Beat(string provider, string status, string instance = "i-1", string? detail = null, DateTimeOffset? timestamp = null) => new()
    {
        Provider = provider,
        Status = status,
        Instance = instance,
        Detail = detail,
        Timestamp = timestamp ?? _time.GetUtcNow(),
    };
}

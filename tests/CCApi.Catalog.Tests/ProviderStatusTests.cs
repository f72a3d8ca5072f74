using CCApi.Contracts;
using CCApi.Testing;

namespace CCApi.Catalog.Tests;

[Collection(CatalogBusCollection.Name)]
public class ProviderStatusTests(CatalogFactory factory) : IClassFixture<CatalogFactory>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_heartbeat_makes_a_provider_available_until_heartbeats_stop_and_each_change_is_announced()
    {
        const string provider = "stabilityai";
        var changes = await factory.WatchCatalogChangedAsync();

        // Start from "unavailable": no heartbeat for the (short) timeout since start.
        (await TestInfrastructure.EventuallyAsync(async () => await factory.ProviderStatusAsync(provider) == "unavailable", Patience)).ShouldBeTrue();
        changes.Drain();

        await factory.Bus.Publish(new ProviderHeartbeat
        {
            Provider = provider,
            Status = "available",
            Instance = "test-adapter",
            Timestamp = DateTimeOffset.UtcNow,
        });

        (await TestInfrastructure.EventuallyAsync(async () => await factory.ProviderStatusAsync(provider) == "available", Patience)).ShouldBeTrue();
        var availableCatalog = await factory.GetCatalogAsync();
        availableCatalog.Providers.Single(p => p.Name == provider).LastSeen.ShouldNotBeNull();
        (await changes.NextAsync(c => c.Version == availableCatalog.Version, Patience)).ShouldNotBeNull();

        (await TestInfrastructure.EventuallyAsync(async () => await factory.ProviderStatusAsync(provider) == "unavailable", Patience)).ShouldBeTrue();
        var unavailableCatalog = await factory.GetCatalogAsync();
        unavailableCatalog.Version.ShouldNotBe(availableCatalog.Version);
        (await changes.NextAsync(c => c.Version == unavailableCatalog.Version, Patience)).ShouldNotBeNull();
    }
}

[Collection(CatalogBusCollection.Name)]
public sealed class DefinitionReloadTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"ccapi-catalog-{Guid.NewGuid():N}.json");
    private readonly CatalogFactory _factory;

    public DefinitionReloadTests()
    {
        File.WriteAllText(_path, TestCatalog.Json);
        _factory = new CatalogFactory(new Dictionary<string, string?>
        {
            ["Catalog:DefinitionPath"] = _path,
            ["Catalog:WatchInterval"] = "00:00:00.200",
            ["Catalog:HeartbeatTimeout"] = "01:00:00", // no status change may move the version during this test
        });
    }

    [Fact]
    public async Task A_changed_definition_file_is_served_and_announced_and_a_broken_one_is_ignored()
    {
        var changes = await _factory.WatchCatalogChangedAsync();
        (await _factory.GetCatalogAsync()).Models.ShouldNotContain(m => m.Id == "local/echo-2");

        var root = TestCatalog.Node();
        var echo2 = root.Model("local/echo-1").DeepClone().AsObject();
        echo2["id"] = "local/echo-2";
        echo2["provider_model"] = "echo-2";
        root["models"]!.AsArray().Add(echo2);
        File.WriteAllText(_path, root.ToJsonString());

        (await TestInfrastructure.EventuallyAsync(async () => (await _factory.GetCatalogAsync()).Models.Any(m => m.Id == "local/echo-2"), Patience)).ShouldBeTrue();
        var reloaded = await _factory.GetCatalogAsync();
        (await changes.NextAsync(c => c.Version == reloaded.Version, Patience)).ShouldNotBeNull();

        echo2["type"] = "video"; // invalid: the last good definition stays in force
        File.WriteAllText(_path, root.ToJsonString());
        await Task.Delay(TimeSpan.FromSeconds(1)); // five watch intervals
        var afterBroken = await _factory.GetCatalogAsync();
        afterBroken.Version.ShouldBe(reloaded.Version);
        afterBroken.Models.Single(m => m.Id == "local/echo-2").Type.ShouldBe("chat");

        echo2["type"] = "audio"; // and the watcher still picks up the next good one
        File.WriteAllText(_path, root.ToJsonString());
        (await TestInfrastructure.EventuallyAsync(async () =>
            (await _factory.GetCatalogAsync()).Models.Single(m => m.Id == "local/echo-2").Type == "audio", Patience)).ShouldBeTrue();
    }

    public void Dispose()
    {
        _factory.Dispose();
        File.Delete(_path);
    }
}

public class StartupValidationTests
{
    [Fact]
    public void The_service_does_not_start_with_an_invalid_definition_and_says_why()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ccapi-catalog-{Guid.NewGuid():N}.json");
        var root = TestCatalog.Node();
        root.Model("local/echo-1")["mode"] = "batch";
        File.WriteAllText(path, root.ToJsonString());
        try
        {
            using var factory = new CatalogFactory(new Dictionary<string, string?> { ["Catalog:DefinitionPath"] = path });

            var error = factory.StartupFailure();

            Flatten(error).ShouldContain(e => e is CatalogDefinitionException && e.Message.Contains("mode 'batch'", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_service_does_not_start_without_a_definition_path()
    {
        using var factory = new CatalogFactory(new Dictionary<string, string?> { ["Catalog:DefinitionPath"] = null });

        var error = factory.StartupFailure();

        Flatten(error).ShouldContain(e => e.Message.Contains("Catalog:DefinitionPath is required", StringComparison.Ordinal));
    }

    private static IEnumerable<Exception> Flatten(Exception e)
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            yield return current;
            if (current is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten))
                {
                    yield return inner;
                }
            }
        }
    }
}

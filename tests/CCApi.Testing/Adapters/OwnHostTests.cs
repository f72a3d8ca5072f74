
namespace CCApi.Testing.Adapters;

/// <summary>
/// A shared test class whose adapter must be configured its own way (no key, a wrong key, a hair-trigger breaker, slow
/// calls allowed): each test gets a host of its own, started with <see cref="Configure"/>'s settings.
/// </summary>
public abstract class OwnHostTests<THost> : IAsyncLifetime
    where THost : AdapterHost, IEmulatedAdapterHost, new()
{
    protected THost Host { get; } = new();

    /// <summary>Settings of the adapter's section (keys without the section) this test class needs.</summary>
    protected abstract void Configure(Dictionary<string, string?> overrides);

    public Task InitializeAsync()
    {
        Configure(Host.Overrides);
        return Host.InitializeAsync();
    }

    public Task DisposeAsync() => Host.DisposeAsync();
}

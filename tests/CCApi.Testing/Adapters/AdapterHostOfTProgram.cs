namespace CCApi.Testing.Adapters;

/// <summary>An <see cref="AdapterHost"/> for the service whose entry point is <typeparamref name="TProgram"/>.</summary>
public abstract class AdapterHost<TProgram>(string vhost, string section, string provider) : AdapterHost(vhost, section, provider)
    where TProgram : class
{
    private ServiceFactory<TProgram>? _factory;

    /// <summary>The hosted service, e.g. for its HTTP endpoints (<c>Factory.CreateClient()</c>).</summary>
    public ServiceFactory<TProgram> Factory => _factory ?? throw new InvalidOperationException("The host has not started.");

    protected override (IServiceProvider Services, IAsyncDisposable Factory) StartService(string vhost, Dictionary<string, string?> settings)
    {
        _factory = new ServiceFactory<TProgram>(vhost, settings);
        return (_factory.Services, _factory);
    }
}

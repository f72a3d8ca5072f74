using CCApi.Contracts;
using CCApi.Emulators;

namespace CCApi.Testing.Adapters;

/// <summary>
/// An adapter that calls a provider's HTTP API, hosted (<see cref="AdapterHost"/>) against the provider's
/// in-repo emulator. Retries are quick (20 ms backoff, 1.5 s per attempt) and the breaker is out of the way unless a
/// test sets otherwise (<see cref="AdapterHost.Overrides"/>, or <c>Configure</c> in a derived host). Two hosts
/// can share a provider name and an emulator: a second replica, or the same adapter after a restart.
/// </summary>
public abstract class EmulatedAdapterHost<TProgram, TEmulator> : AdapterHost<TProgram>, IEmulatedAdapterHost
    where TProgram : class
    where TEmulator : Emulator
{
    private readonly bool _ownsEmulator;

    /// <param name="emulator">An emulator another host already runs; null = this host starts (and stops) its own.</param>
    protected EmulatedAdapterHost(string vhost, string section, string provider, TEmulator? emulator = null)
        : base(vhost, section, provider)
    {
        Emulator = emulator!;
        _ownsEmulator = emulator is null;
    }

    public TEmulator Emulator { get; private set; }

    Emulator IEmulatedAdapterHost.Emulator => Emulator;

    public override int? ProviderRequests => Emulator.Requests.Count;

    /// <summary>
    /// Runs <paramref name="command"/> on a fresh emulator and checks the adapter refused it itself: the job fails with a
    /// 400 naming <paramref name="param"/>, and the provider was never called.
    /// </summary>
    public async Task<ErrorInfo> RefusedAsync(IJobCommand command, string param)
    {
        Emulator.Reset();

        var error = (await RunJobAsync(command)).ShouldHaveFailed();

        error.Status.ShouldBe(400);
        error.Details.ShouldNotBeNull()["param"].ShouldBe(param);
        Emulator.Requests.ShouldBeEmpty();
        return error;
    }

    /// <summary>False: the adapter runs without an API key (the provider is "unavailable").</summary>
    protected virtual bool WithApiKey => true;

    protected abstract Task<TEmulator> StartEmulatorAsync();

    protected override Dictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings[$"{Section}:BaseUrl"] = Emulator.BaseUrl;
        settings[$"{Section}:ApiKey"] = WithApiKey ? Emulator.ApiKey : "";
        settings[$"{Section}:RequestTimeout"] = "00:00:01.500";
        settings[$"{Section}:MaxRetries"] = "2";
        settings[$"{Section}:RetryBaseDelay"] = "00:00:00.020";
        settings[$"{Section}:MaxRetryAfter"] = "00:00:05";
        settings[$"{Section}:BreakerMinimumThroughput"] = "10000";
        return settings;
    }

    public override async Task InitializeAsync()
    {
        if (_ownsEmulator)
        {
            Emulator = await StartEmulatorAsync();
        }

        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_ownsEmulator && Emulator is not null)
        {
            await Emulator.DisposeAsync();
        }
    }
}

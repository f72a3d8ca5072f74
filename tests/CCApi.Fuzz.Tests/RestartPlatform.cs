namespace CCApi.Fuzz.Tests;

/// <summary>
/// The same real processes as <see cref="FuzzPlatform"/>, on a RabbitMQ node and a Redis of their own (<see
/// cref="NativeServer"/>) that the broker and Redis restart tests stop and start again; test.sh's shared servers, which
/// other test assemblies use at the same time, are never touched. Redis persists as run.sh's does (append-only file),
/// JobStatus fails a job nobody finished after <see cref="StuckAfter"/>, and the local adapter draws two images at a
/// time, so synchronous requests queue on the broker and are waiting there when it goes away.
/// </summary>
public sealed class RestartPlatform : FuzzPlatform
{
    /// <summary>JobStatus's Jobs:StuckAfter here: every accepted job is terminal this long after it was accepted, at the latest.</summary>
    public static readonly TimeSpan StuckAfter = TimeSpan.FromSeconds(20);

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "ccapi-faults-" + Guid.NewGuid().ToString("N"));

    public NativeServer Broker { get; }

    public NativeServer RedisServer { get; }

    public RestartPlatform()
    {
        Broker = NativeServer.RabbitMq(_dataDirectory);
        RedisServer = NativeServer.Redis(_dataDirectory);
    }

    protected override string RabbitMqAddress => $"amqp://guest:guest@127.0.0.1:{Broker.Port}/";

    public override string RedisAddress => $"127.0.0.1:{RedisServer.Port}";

    protected override void Configure(string service, Dictionary<string, string> environment)
    {
        switch (service)
        {
            case "CCApi.JobStatus":
                environment["Jobs__StuckAfter"] = StuckAfter.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
                break;
            case "CCApi.Adapters.Local":
                environment["LocalAdapter__ImageConcurrencyLimit"] = "2";
                break;
        }
    }

    public override async Task InitializeAsync()
    {
        await Task.WhenAll(Broker.StartAsync(), RedisServer.StartAsync());
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        try
        {
            await base.DisposeAsync();
        }
        finally
        {
            await Task.WhenAll(Broker.DisposeAsync().AsTask(), RedisServer.DisposeAsync().AsTask());
            try
            {
                Directory.Delete(_dataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // a server's last write raced the delete; the directory is in the temp dir
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RestartCollection : ICollectionFixture<RestartPlatform>
{
    public const string Name = "restart-platform";
}

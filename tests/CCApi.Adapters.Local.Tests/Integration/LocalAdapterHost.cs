using System.Collections.Concurrent;
using CCApi.Contracts;
using CCApi.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace CCApi.Adapters.Local.Tests.Integration;

/// <summary>
/// The adapter hosted in-process against the real RabbitMQ (vhost "local") and Redis, plus a temporary endpoint on
/// the same bus that records every job event the adapter publishes.
/// </summary>
public sealed class LocalAdapterHost : IAsyncLifetime
{
    private HostReceiveEndpointHandle? _recorder;

    public ServiceFactory<Program> Factory { get; } = new("local", new Dictionary<string, string?>
    {
        ["LocalAdapter:AsyncStepDelay"] = "00:00:00.050",
        ["LocalAdapter:HeartbeatInterval"] = "00:00:01",
    });

    public ConcurrentQueue<object> Events { get; } = new();

    public IBus Bus => Factory.Services.GetRequiredService<IBus>();

    public T Get<T>()
        where T : notnull => Factory.Services.GetRequiredService<T>();

    public IRequestClient<T> Client<T>(string queue)
        where T : class => Bus.CreateRequestClient<T>(new Uri($"queue:{queue}"), RequestTimeout.After(s: 60));

    public async Task SendAsync<T>(string queue, T message)
        where T : class
    {
        var endpoint = await Bus.GetSendEndpoint(new Uri($"queue:{queue}"));
        await endpoint.Send(message);
    }

    /// <summary>Events of type <typeparamref name="T"/> recorded so far that match.</summary>
    public List<T> Recorded<T>(Func<T, bool>? match = null) =>
        Events.OfType<T>().Where(e => match?.Invoke(e) ?? true).ToList();

    /// <summary>Waits until at least <paramref name="count"/> matching events have arrived; fails the test otherwise.</summary>
    public async Task<List<T>> WaitForAsync<T>(Func<T, bool> match, int count = 1, int seconds = 30)
    {
        var arrived = await TestInfrastructure.EventuallyAsync(() => Task.FromResult(Recorded(match).Count >= count), TimeSpan.FromSeconds(seconds));
        arrived.ShouldBeTrue($"expected {count} {typeof(T).Name} event(s) within {seconds} s");
        return Recorded(match);
    }

    public async Task InitializeAsync()
    {
        _ = Factory.Services; // starts the host, and with it the bus (WaitUntilStarted)
        _recorder = Bus.ConnectReceiveEndpoint(e =>
        {
            Record<JobStarted>(e);
            Record<JobProgressed>(e);
            Record<JobFailed>(e);
            Record<ImageGenerated>(e);
            Record<ChatCompleted>(e);
            Record<SpeechSynthesized>(e);
            Record<ProviderHeartbeat>(e);
        });
        await _recorder.Ready;
    }

    public async Task DisposeAsync()
    {
        if (_recorder is not null)
        {
            await _recorder.StopAsync();
        }

        await Factory.DisposeAsync();
    }

    private void Record<T>(IReceiveEndpointConfigurator endpoint)
        where T : class =>
        endpoint.Handler<T>(context =>
        {
            Events.Enqueue(context.Message);
            return Task.CompletedTask;
        });
}

[CollectionDefinition(Name)]
public sealed class LocalAdapterCollection : ICollectionFixture<LocalAdapterHost>
{
    public const string Name = "local adapter on RabbitMQ and Redis";
}

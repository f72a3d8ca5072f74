using System.Collections.Concurrent;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.Emulators.ElevenLabs;
using CCApi.Storage;
using CCApi.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace CCApi.Adapters.ElevenLabs.Tests.Support;

/// <summary>
/// One emulator and one ElevenLabs adapter (in-process, real RabbitMQ vhost "elevenlabs" and Redis) under a provider
/// name of its own, so its queue is its own. Retries are quick, the breaker is out of the way and the voice list may be
/// listed again on every miss, unless a test class asks otherwise.
/// </summary>
public class ElevenLabsAdapterHost : IAsyncLifetime
{
    private ServiceFactory<Program>? _factory;

    public string Provider { get; } = "elevenlabs-test-" + Guid.NewGuid().ToString("N")[..8];

    public ElevenLabsEmulator Emulator { get; private set; } = null!;

    public IServiceProvider Services => _factory!.Services;

    public IBlobStore Blobs => Services.GetRequiredService<IBlobStore>();

    public ProviderHealth Health => Services.GetRequiredService<ProviderHealth>();

    protected virtual bool WithApiKey => true;

    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }

    public async Task InitializeAsync()
    {
        Emulator = await ElevenLabsEmulator.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["ElevenLabs:Provider"] = Provider,
            ["ElevenLabs:BaseUrl"] = Emulator.BaseUrl,
            ["ElevenLabs:ApiKey"] = WithApiKey ? Emulator.ApiKey : "",
            ["ElevenLabs:RequestTimeout"] = "00:00:01.500",
            ["ElevenLabs:MaxRetries"] = "2",
            ["ElevenLabs:RetryBaseDelay"] = "00:00:00.020",
            ["ElevenLabs:MaxRetryAfter"] = "00:00:05",
            ["ElevenLabs:BreakerMinimumThroughput"] = "10000",
            ["ElevenLabs:HeartbeatInterval"] = "00:00:00.250",
            ["ElevenLabs:VoiceRefreshMinInterval"] = "00:00:00",
        };
        Configure(settings);
        _factory = new ServiceFactory<Program>("elevenlabs", settings);
        _ = _factory.Services; // start the host (and the bus) now
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        await Emulator.DisposeAsync();
    }

    /// <summary>A request client on the provider's speech queue, exactly as the gateway's dispatcher builds it.</summary>
    public IRequestClient<Speech> Client() =>
        Services.GetRequiredService<IBus>().CreateRequestClient<Speech>(new Uri($"queue:{Queues.For(Provider, JobKind.Speech)}"), RequestTimeout.After(s: 60));

    public JobRoute Route(string model = "eleven_turbo_v2", decimal perCharacter = 0.00005m) => new()
    {
        OwnerId = "test-owner",
        Provider = Provider,
        Model = $"{Provider}/{model}",
        ProviderModel = model,
        Pricing = new ModelPricing { PerCharacter = perCharacter },
    };

    public Speech Speech(string input = "Hello there", string voice = "Rachel", string format = "mp3", string model = "eleven_turbo_v2") => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route(model),
        Input = input,
        Voice = voice,
        Format = format,
    };

    public Task<Response<SpeechSynthesized, JobFailed>> AskAsync(Speech command) =>
        Client().GetResponse<SpeechSynthesized, JobFailed>(command);

    public async Task<SpeechSynthesized> SynthesizedAsync(Speech command)
    {
        var response = await AskAsync(command);
        response.Is(out Response<JobFailed>? failed).ShouldBeFalse(failed is null ? "" : $"JobFailed: {failed.Message.Error.Status} {failed.Message.Error.Message}");
        response.Is(out Response<SpeechSynthesized>? synthesized).ShouldBeTrue();
        synthesized!.Message.JobId.ShouldBe(command.JobId);
        return synthesized.Message;
    }

    public async Task<ErrorInfo> FailedAsync(Speech command)
    {
        var response = await AskAsync(command);
        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.JobId.ShouldBe(command.JobId);
        return failed.Message.Error;
    }

    /// <summary>Records what the bus carries of <typeparamref name="T"/> until disposed.</summary>
    public async Task<Recording<T>> RecordAsync<T>()
        where T : class
    {
        var seen = new ConcurrentQueue<T>();
        var handle = Services.GetRequiredService<IBus>().ConnectReceiveEndpoint(e => e.Handler<T>(c =>
        {
            seen.Enqueue(c.Message);
            return Task.CompletedTask;
        }));
        await handle.Ready;
        return new Recording<T>(handle, seen);
    }

    public sealed class Recording<T>(HostReceiveEndpointHandle handle, ConcurrentQueue<T> seen) : IAsyncDisposable
    {
        public IReadOnlyCollection<T> Seen => seen;

        public Task<bool> ArrivedAsync(Func<T, bool> match) =>
            TestInfrastructure.EventuallyAsync(() => Task.FromResult(seen.Any(match)), TimeSpan.FromSeconds(15));

        public async ValueTask DisposeAsync() => await handle.StopAsync();
    }
}

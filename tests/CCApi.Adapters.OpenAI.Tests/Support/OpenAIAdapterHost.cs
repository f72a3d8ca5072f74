using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Emulators.OpenAI;
using CCApi.Storage;
using CCApi.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace CCApi.Adapters.OpenAI.Tests.Support;

/// <summary>
/// One emulator and one OpenAI adapter (in-process, real RabbitMQ vhost "openai" and Redis) under a provider name of its
/// own, so its queues are its own. Retries are quick and the breaker is out of the way unless a test class asks.
/// </summary>
public class OpenAIAdapterHost : IAsyncLifetime
{
    private ServiceFactory<Program>? _factory;

    public string Provider { get; } = "openai-test-" + Guid.NewGuid().ToString("N")[..8];

    public OpenAIEmulator Emulator { get; private set; } = null!;

    public IServiceProvider Services => _factory!.Services;

    public ServiceFactory<Program> Factory => _factory!;

    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }

    protected virtual bool WithApiKey => true;

    public async Task InitializeAsync()
    {
        Emulator = await OpenAIEmulator.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["OpenAI:Provider"] = Provider,
            ["OpenAI:BaseUrl"] = Emulator.BaseUrl,
            ["OpenAI:ApiKey"] = WithApiKey ? Emulator.ApiKey : "",
            ["OpenAI:RequestTimeout"] = "00:00:01.500",
            ["OpenAI:StreamIdleTimeout"] = "00:00:01.500",
            ["OpenAI:MaxRetries"] = "2",
            ["OpenAI:RetryBaseDelay"] = "00:00:00.020",
            ["OpenAI:MaxRetryAfter"] = "00:00:05",
            ["OpenAI:BreakerMinimumThroughput"] = "10000",
            ["OpenAI:HeartbeatInterval"] = "00:00:00.250",
        };
        Configure(settings);
        _factory = new ServiceFactory<Program>("openai", settings);
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

    public IRequestClient<T> Client<T>(JobKind kind)
        where T : class =>
        Services.GetRequiredService<IBus>().CreateRequestClient<T>(new Uri($"queue:{Queues.For(Provider, kind)}"), RequestTimeout.After(s: 60));

    public JobRoute Route(string model, ModelPricing? pricing = null) => new()
    {
        OwnerId = "test-owner",
        Provider = Provider,
        Model = $"{Provider}/{model}",
        ProviderModel = model,
        Pricing = pricing,
    };

    public ChatCompletion Chat(string text, bool stream = false) => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route("gpt-4o-mini", new ModelPricing { InputPerMillion = 1_000_000m, OutputPerMillion = 2_000_000m }),
        Messages = [new ChatMessage { Role = "user", Content = text }],
        Stream = stream,
    };

    public GenerateImage Image(string model = "gpt-image-1", int n = 1) => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route(model, new ModelPricing { PerImage = 0.04m }),
        Operation = "text-to-image",
        Prompt = "a lighthouse at dusk",
        Width = 1024,
        Height = 1024,
        NumImages = n,
    };

    public Speech Speech(string input = "Hello there", string format = "mp3", string voice = "alloy") => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route("tts-1", new ModelPricing { PerCharacter = 0.000015m }),
        Input = input,
        Voice = voice,
        Format = format,
    };

    public async Task<Response<TSuccess, JobFailed>> AskAsync<TCommand, TSuccess>(TCommand command, JobKind kind)
        where TCommand : class
        where TSuccess : class =>
        await Client<TCommand>(kind).GetResponse<TSuccess, JobFailed>(command);

    /// <summary>Sends a streaming chat and reads its Redis stream to the end (done or error).</summary>
    public async Task<List<ChatStreamDelta>> StreamAsync(ChatCompletion command)
    {
        var streams = Services.GetRequiredService<ChatStreams>();
        var endpoint = await Services.GetRequiredService<IBus>().GetSendEndpoint(new Uri($"queue:{Queues.For(Provider, JobKind.Chat)}"));
        await endpoint.Send(command);
        var deltas = new List<ChatStreamDelta>();
        await foreach (var (_, delta) in streams.ReadAsync(command.JobId, null, TimeSpan.FromSeconds(30)))
        {
            deltas.Add(delta);
        }

        return deltas;
    }

    public ProviderHealth Health => Services.GetRequiredService<ProviderHealth>();
}

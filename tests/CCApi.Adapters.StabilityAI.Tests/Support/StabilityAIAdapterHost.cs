using System.Collections.Concurrent;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.Emulators.StabilityAI;
using CCApi.Storage;
using CCApi.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace CCApi.Adapters.StabilityAI.Tests.Support;

/// <summary>
/// One emulator and one Stability AI adapter (in-process, real RabbitMQ vhost "stabilityai" and Redis) under a provider
/// name of its own, so its queue is its own, plus a temporary endpoint recording the job events it publishes. Retries
/// are quick and the breaker is out of the way unless a derived host says otherwise.
/// </summary>
public class StabilityAIAdapterHost : IAsyncLifetime
{
    public const string Sdxl = "stable-diffusion-xl-1024-v1-0";

    private ServiceFactory<Program>? _factory;
    private HostReceiveEndpointHandle? _recorder;

    public string Provider { get; } = "stabilityai-test-" + Guid.NewGuid().ToString("N")[..8];

    public StabilityAIEmulator Emulator { get; private set; } = null!;

    public IServiceProvider Services => _factory!.Services;

    public ConcurrentQueue<object> Events { get; } = new();

    public IBlobStore Blobs => Services.GetRequiredService<IBlobStore>();

    public ProviderHealth Health => Services.GetRequiredService<ProviderHealth>();

    public string Queue => Queues.For(Provider, JobKind.Image);

    protected virtual bool WithApiKey => true;

    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }

    public async Task InitializeAsync()
    {
        Emulator = await StabilityAIEmulator.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["StabilityAI:Provider"] = Provider,
            ["StabilityAI:BaseUrl"] = Emulator.BaseUrl,
            ["StabilityAI:ApiKey"] = WithApiKey ? Emulator.ApiKey : "",
            ["StabilityAI:RequestTimeout"] = "00:00:01.500",
            ["StabilityAI:MaxRetries"] = "2",
            ["StabilityAI:RetryBaseDelay"] = "00:00:00.020",
            ["StabilityAI:MaxRetryAfter"] = "00:00:05",
            ["StabilityAI:BreakerMinimumThroughput"] = "10000",
            ["StabilityAI:HeartbeatInterval"] = "00:00:00.250",
        };
        Configure(settings);
        _factory = new ServiceFactory<Program>("stabilityai", settings);
        var bus = Services.GetRequiredService<IBus>(); // starts the host (and the bus) now
        _recorder = bus.ConnectReceiveEndpoint(e =>
        {
            Record<JobStarted>(e);
            Record<JobProgressed>(e);
            Record<JobFailed>(e);
            Record<ImageGenerated>(e);
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

        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        await Emulator.DisposeAsync();
    }

    public JobRoute Route(string model = Sdxl, decimal perImage = 0.006m) => new()
    {
        OwnerId = "test-owner",
        Provider = Provider,
        Model = $"{Provider}/{model}",
        ProviderModel = model,
        Pricing = new ModelPricing { PerImage = perImage },
    };

    public GenerateImage TextToImage(string prompt = "a lighthouse at dusk", int n = 1, int width = 1024, int height = 1024) => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route(),
        Operation = "text-to-image",
        Prompt = prompt,
        Width = width,
        Height = height,
        NumImages = n,
    };

    public GenerateImage ImageToImage(ImageInput input, string prompt = "the same harbour at night") => TextToImage(prompt) with
    {
        Operation = "image-to-image",
        Inputs = [input],
    };

    /// <summary>Sends the command as the gateway does for a synchronous model: a request to the provider's queue.</summary>
    public async Task<Response<ImageGenerated, JobFailed>> AskAsync(GenerateImage command) =>
        await Services.GetRequiredService<IBus>()
            .CreateRequestClient<GenerateImage>(new Uri($"queue:{Queue}"), RequestTimeout.After(s: 60))
            .GetResponse<ImageGenerated, JobFailed>(command);

    public async Task<ImageGenerated> GeneratedAsync(GenerateImage command)
    {
        var response = await AskAsync(command);
        if (response.Is(out Response<JobFailed>? failed))
        {
            throw new ShouldAssertException($"expected images, got JobFailed {failed!.Message.Error.Status}: {failed.Message.Error.Message}");
        }

        response.Is(out Response<ImageGenerated>? generated).ShouldBeTrue();
        return generated!.Message;
    }

    public async Task<ErrorInfo> FailedAsync(GenerateImage command)
    {
        var response = await AskAsync(command);
        response.Is(out Response<JobFailed>? failed).ShouldBeTrue("expected JobFailed");
        failed!.Message.JobId.ShouldBe(command.JobId);
        return failed.Message.Error;
    }

    /// <summary>Sends the command as the gateway does for an asynchronous model (no response address).</summary>
    public async Task SendAsync(GenerateImage command)
    {
        var endpoint = await Services.GetRequiredService<IBus>().GetSendEndpoint(new Uri($"queue:{Queue}"));
        await endpoint.Send(command);
    }

    public List<T> Recorded<T>(Func<T, bool>? match = null) => Events.OfType<T>().Where(e => match?.Invoke(e) ?? true).ToList();

    public async Task<List<T>> WaitForAsync<T>(Func<T, bool> match, int seconds = 30)
    {
        var arrived = await TestInfrastructure.EventuallyAsync(() => Task.FromResult(Recorded(match).Count > 0), TimeSpan.FromSeconds(seconds));
        arrived.ShouldBeTrue($"expected a {typeof(T).Name} within {seconds} s");
        return Recorded(match);
    }

    private void Record<T>(IReceiveEndpointConfigurator endpoint)
        where T : class =>
        endpoint.Handler<T>(context =>
        {
            Events.Enqueue(context.Message);
            return Task.CompletedTask;
        });
}

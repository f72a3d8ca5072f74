using System.Collections.Concurrent;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.Emulators.ImaginePro;
using CCApi.Storage;
using CCApi.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CCApi.Adapters.ImaginePro.Tests.Support;

/// <summary>
/// One ImaginePro adapter (in-process, real RabbitMQ vhost "imaginepro" and Redis) against an emulator, under a provider
/// name of its own so its queue is its own, plus a temporary endpoint on the same bus that records every job event the
/// adapter publishes. Retries, polls and the breaker are quick/out of the way unless a subclass says otherwise. Two hosts
/// can share a provider name and an emulator (a second replica, or the same adapter after a restart).
/// </summary>
public class ImagineProAdapterHost : IAsyncLifetime
{
    private readonly bool _ownsEmulator;
    private ServiceFactory<Program>? _factory;
    private HostReceiveEndpointHandle? _recorder;

    public ImagineProAdapterHost()
        : this(null, null)
    {
    }

    protected ImagineProAdapterHost(string? provider, ImagineProEmulator? emulator)
    {
        Provider = provider ?? "imaginepro-test-" + Guid.NewGuid().ToString("N")[..8];
        Emulator = emulator!;
        _ownsEmulator = emulator is null;
    }

    public string Provider { get; }

    public ImagineProEmulator Emulator { get; private set; }

    public IServiceProvider Services => _factory!.Services;

    public IBus Bus => Services.GetRequiredService<IBus>();

    public ProviderHealth Health => Services.GetRequiredService<ProviderHealth>();

    public IBlobStore Blobs => Services.GetRequiredService<IBlobStore>();

    public ConcurrentQueue<object> Events { get; } = new();

    /// <summary>Per-job catalog price carried on the route (nano-banana's catalog price).</summary>
    public static ModelPricing Pricing { get; } = new() { PerImage = 0.04m };

    protected virtual bool WithApiKey => true;

    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }

    public async Task InitializeAsync()
    {
        if (_ownsEmulator)
        {
            Emulator = await ImagineProEmulator.StartAsync();
        }

        var settings = new Dictionary<string, string?>
        {
            ["ImaginePro:Provider"] = Provider,
            ["ImaginePro:BaseUrl"] = Emulator.BaseUrl,
            ["ImaginePro:ApiKey"] = WithApiKey ? Emulator.ApiKey : "",
            ["ImaginePro:RequestTimeout"] = "00:00:01.500",
            ["ImaginePro:MaxRetries"] = "2",
            ["ImaginePro:RetryBaseDelay"] = "00:00:00.020",
            ["ImaginePro:MaxRetryAfter"] = "00:00:05",
            ["ImaginePro:BreakerMinimumThroughput"] = "10000",
            ["ImaginePro:HeartbeatInterval"] = "00:00:00.250",
            ["ImaginePro:PollInitialInterval"] = "00:00:00.020",
            ["ImaginePro:PollMaxInterval"] = "00:00:00.100",
            ["ImaginePro:PollBackoffFactor"] = "2",
            ["ImaginePro:MaxPollDuration"] = "00:00:30",
            ["ImaginePro:MaxConsecutivePollFailures"] = "3",
            ["Messaging:StopTimeout"] = "00:00:01",
        };
        Configure(settings);
        _factory = new ServiceFactory<Program>("imaginepro", settings);
        _ = _factory.Services; // start the host (and the bus) now

        _recorder = Bus.ConnectReceiveEndpoint(e =>
        {
            Record<JobStarted>(e);
            Record<JobProgressed>(e);
            Record<JobFailed>(e);
            Record<ImageGenerated>(e);
            Record<ProviderHeartbeat>(e);
        });
        await _recorder.Ready;
    }

    /// <summary>
    /// Stops the adapter the way a process stop does (SIGTERM: IHostApplicationLifetime.StopApplication, hosted services
    /// stopped in order, the bus last) and waits until it has stopped. WebApplicationFactory's own disposal of a minimal-API
    /// host disposes services under still-running consumers (dotnet/aspnetcore#40271), which no real process does.
    /// </summary>
    public async Task StopLikeAProcessAsync()
    {
        if (_recorder is not null)
        {
            await _recorder.StopAsync();
            _recorder = null;
        }

        var lifetime = Services.GetRequiredService<IHostApplicationLifetime>();
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = lifetime.ApplicationStopped.Register(() => stopped.TrySetResult());
        lifetime.StopApplication();
        await stopped.Task.WaitAsync(TimeSpan.FromSeconds(30));
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

        if (_ownsEmulator && Emulator is not null)
        {
            await Emulator.DisposeAsync();
        }
    }

    public JobRoute Route(string model = "nano-banana") => new()
    {
        OwnerId = "test-owner",
        Provider = Provider,
        Model = $"{Provider}/{model}",
        ProviderModel = model,
        Pricing = Pricing,
    };

    /// <summary>An asynchronous text-to-image command, as the gateway sends it after answering 202.</summary>
    public GenerateImage Image(string prompt = "a lighthouse at dusk", int n = 1, bool async = true, string model = "nano-banana") => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route(model),
        Operation = "text-to-image",
        Prompt = prompt,
        Width = 1024,
        Height = 1024,
        NumImages = n,
        Async = async,
        Deadline = async ? null : DateTimeOffset.UtcNow.AddSeconds(60),
    };

    /// <summary>Sends the command to the adapter's queue the way the gateway does for an async job.</summary>
    public async Task SendAsync(GenerateImage command)
    {
        var endpoint = await Bus.GetSendEndpoint(new Uri($"queue:{Queues.For(Provider, JobKind.Image)}"));
        await endpoint.Send(command);
    }

    /// <summary>Sends an async command and waits for the job to end; returns its ImageGenerated or its JobFailed.</summary>
    public async Task<(ImageGenerated? Generated, JobFailed? Failed)> RunAsync(GenerateImage command, int seconds = 60)
    {
        await SendAsync(command);
        var ended = await TestInfrastructure.EventuallyAsync(
            () => Task.FromResult(Recorded<ImageGenerated>(command.JobId).Count + Recorded<JobFailed>(command.JobId).Count > 0), TimeSpan.FromSeconds(seconds));
        ended.ShouldBeTrue($"job {command.JobId:N} did not end within {seconds} s");
        return (Recorded<ImageGenerated>(command.JobId).FirstOrDefault(), Recorded<JobFailed>(command.JobId).FirstOrDefault());
    }

    /// <summary>Sends an async command that must fail; returns the error it failed with.</summary>
    public async Task<ErrorInfo> FailedAsync(GenerateImage command)
    {
        var (generated, failed) = await RunAsync(command);
        generated.ShouldBeNull();
        return failed.ShouldNotBeNull().Error;
    }

    /// <summary>The synchronous path: a request client on the adapter's queue, as the gateway uses for sync models.</summary>
    public async Task<Response<ImageGenerated, JobFailed>> AskAsync(GenerateImage command) =>
        await Bus.CreateRequestClient<GenerateImage>(new Uri($"queue:{Queues.For(Provider, JobKind.Image)}"), RequestTimeout.After(s: 60))
            .GetResponse<ImageGenerated, JobFailed>(command);

    /// <summary>Events of type <typeparamref name="T"/> recorded for a job, in the order they were published.</summary>
    public List<T> Recorded<T>(Guid jobId)
        where T : class, IJobMessage =>
        [.. Events.OfType<T>().Where(e => e.JobId == jobId).OrderBy(e => e.Timestamp)];

    private void Record<T>(IReceiveEndpointConfigurator endpoint)
        where T : class =>
        endpoint.Handler<T>(context =>
        {
            Events.Enqueue(context.Message);
            return Task.CompletedTask;
        });
}

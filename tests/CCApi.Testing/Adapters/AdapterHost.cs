using System.Collections.Concurrent;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.Storage;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CCApi.Testing.Adapters;

/// <summary>
/// One provider adapter hosted in-process against test.sh's real RabbitMQ (in the test project's virtual host) and
/// Redis, under a provider name of its own so its queues are its own, plus a temporary endpoint on the same bus that
/// records every job event and heartbeat the adapter publishes. Every adapter's test host derives from this (an
/// upstream adapter's through <see cref="EmulatedAdapterHost{TProgram, TEmulator}"/>), and the shared test classes
/// (<see cref="AvailabilityTests{THost}"/>, <see cref="CancellationTests{THost}"/>, <see cref="RedeliveryTests{THost}"/>,
/// …) drive any of them through <see cref="Job"/> and <see cref="RunJobAsync"/>. <see cref="AdapterHost{TProgram}"/>
/// says which service.
/// </summary>
public abstract class AdapterHost : IAsyncLifetime
{
    private readonly string _vhost;
    private IServiceProvider? _services;
    private IAsyncDisposable? _factory;
    private HostReceiveEndpointHandle? _recorder;

    /// <param name="vhost">The test project's RabbitMQ virtual host.</param>
    /// <param name="section">The adapter's configuration section (e.g. "OpenAI", "LocalAdapter").</param>
    /// <param name="provider">The provider name the adapter runs under.</param>
    protected AdapterHost(string vhost, string section, string provider)
    {
        _vhost = vhost;
        Section = section;
        Provider = provider;
    }

    public string Provider { get; }

    public string Section { get; }

    /// <summary>Settings of the adapter's section (keys without the section, e.g. "ApiKey"), applied last: set them before the host starts.</summary>
    public Dictionary<string, string?> Overrides { get; } = [];

    public IServiceProvider Services => _services ?? throw new InvalidOperationException("The host has not started.");

    public IBus Bus => Services.GetRequiredService<IBus>();

    public ProviderHealth Health => Services.GetRequiredService<ProviderHealth>();

    public IBlobStore Blobs => Services.GetRequiredService<IBlobStore>();

    /// <summary>Every job event and heartbeat published on the bus since the host started.</summary>
    public ConcurrentQueue<object> Events { get; } = new();

    /// <summary>Calls the adapter made to its provider so far; null when no emulator stands in for the provider.</summary>
    public virtual int? ProviderRequests => null;

    /// <summary>A job of the adapter's main capability that succeeds when the provider is healthy.</summary>
    public abstract IJobCommand Job();

    /// <summary>A <see cref="Job"/> whose deadline has already passed (the edge stopped waiting before it could start).</summary>
    public virtual IJobCommand PastDeadlineJob()
    {
        var passed = DateTimeOffset.UtcNow.AddSeconds(-1);
        return Job() switch
        {
            ChatCompletion chat => chat with { Deadline = passed },
            GenerateImage image => image with { Deadline = passed },
            Speech speech => speech with { Deadline = passed },
            var other => throw new InvalidOperationException($"No deadline for a {other.GetType().Name}: override {nameof(PastDeadlineJob)}."),
        };
    }

    /// <summary>
    /// A <see cref="Job"/> whose command was created before this replica's cancellation queue listened — queued while the
    /// replica was down or not yet started, so a cancellation published meanwhile never reached it.
    /// </summary>
    public IJobCommand JobQueuedBeforeStart()
    {
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);
        return Job() switch
        {
            ChatCompletion chat => chat with { Timestamp = before },
            GenerateImage image => image with { Timestamp = before },
            Speech speech => speech with { Timestamp = before },
            var other => throw new InvalidOperationException($"No timestamp for a {other.GetType().Name}."),
        };
    }

    /// <summary>The adapter's settings before <see cref="Configure"/> and <see cref="Overrides"/>: its provider name and a quick heartbeat.</summary>
    protected virtual Dictionary<string, string?> Settings() => new()
    {
        [$"{Section}:Provider"] = Provider,
        [$"{Section}:HeartbeatInterval"] = "00:00:00.250",
    };

    /// <summary>Hosts the adapter's service with these settings; its services, and what disposing stops it.</summary>
    protected abstract (IServiceProvider Services, IAsyncDisposable Factory) StartService(string vhost, Dictionary<string, string?> settings);

    /// <summary>What a derived host changes in the settings (full configuration keys).</summary>
    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }

    public virtual async Task InitializeAsync()
    {
        var settings = Settings();
        Configure(settings);
        foreach (var (key, value) in Overrides)
        {
            settings[$"{Section}:{key}"] = value;
        }

        (_services, _factory) = StartService(_vhost, settings);
        _recorder = Bus.ConnectReceiveEndpoint(e => // resolving the bus starts the host (and the bus) now
        {
            Record<JobStarted>(e);
            Record<JobProgressed>(e);
            Record<JobFailed>(e);
            Record<ChatCompleted>(e);
            Record<ImageGenerated>(e);
            Record<SpeechSynthesized>(e);
            Record<ProviderHeartbeat>(e);
            e.Handler<SynchronousOutcomes>(context => // JobStatus' copies of synchronous outcomes, recorded as the events they carry
            {
                foreach (var outcome in context.Message.Outcomes.Select(o => o.Outcome()).OfType<IJobMessage>())
                {
                    Events.Enqueue(outcome);
                }

                return Task.CompletedTask;
            });
        });
        await _recorder.Ready;
    }

    public virtual async Task DisposeAsync()
    {
        if (_recorder is not null)
        {
            await _recorder.StopAsync();
            _recorder = null;
        }

        if (_factory is not null)
        {
            await _factory.DisposeAsync();
            _factory = null;
        }
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

    public string Queue(JobKind kind) => Queues.For(Provider, kind);

    /// <summary>A request client on the provider's queue for <paramref name="kind"/>, exactly as the gateway's dispatcher builds it.</summary>
    public IRequestClient<T> Client<T>(JobKind kind)
        where T : class =>
        Bus.CreateRequestClient<T>(new Uri($"queue:{Queue(kind)}"), RequestTimeout.After(s: 60));

    /// <summary>
    /// Sends a command as the gateway does for an asynchronous job (no response address): an async image job
    /// (<see cref="GenerateImage.Async"/>) to "{provider}-image-async", anything else to the kind's queue.
    /// </summary>
    /// <param name="redelivery">Delivered as MassTransit redelivers a message (MT-Redelivery-Count), a repeat of one that already ran.</param>
    public async Task SendAsync<T>(JobKind kind, T message, bool redelivery = false)
        where T : class
    {
        var queue = message is GenerateImage { Async: true } ? Queues.ForAsyncImages(Provider) : Queue(kind);
        var endpoint = await Bus.GetSendEndpoint(new Uri($"queue:{queue}"));
        await endpoint.Send(message, context => MarkRedelivery(context, redelivery));
    }

    /// <summary>Sends a command as the gateway does for a synchronous job: a request answered by the result or JobFailed.</summary>
    /// <param name="redelivery">Delivered as MassTransit redelivers a message (MT-Redelivery-Count), a repeat of one that already ran.</param>
    public async Task<Response<TSuccess, JobFailed>> AskAsync<TCommand, TSuccess>(TCommand command, JobKind kind, bool redelivery = false)
        where TCommand : class
        where TSuccess : class =>
        await Client<TCommand>(kind).GetResponse<TSuccess, JobFailed>(command, request => request.UseExecute(context => MarkRedelivery(context, redelivery)));

    /// <summary>Marks a message as MassTransit marks one it delivers again (MT-Redelivery-Count): a repeat of a delivery that already ran.</summary>
    public static void Redelivered(SendContext context) => context.Headers.Set(MessageHeaders.RedeliveryCount, 1);

    protected static void MarkRedelivery(SendContext context, bool redelivery)
    {
        if (redelivery)
        {
            Redelivered(context);
        }
    }

    public JobRoute Route(string model, ModelPricing? pricing = null) => new()
    {
        OwnerId = "test-owner",
        Provider = Provider,
        Model = $"{Provider}/{model}",
        ProviderModel = model,
        Pricing = pricing,
    };

    /// <summary>
    /// Runs a job the way the gateway does: an asynchronous image job is sent and its end awaited on the bus (a new
    /// result or JobFailed for its job id); anything else is a request answered by the result or JobFailed.
    /// </summary>
    /// <param name="redelivery">Delivered as a repeat of a delivery that already ran (<see cref="SendAsync{T}"/>).</param>
    public async Task<JobOutcome> RunJobAsync(IJobCommand command, int seconds = 60, bool redelivery = false)
    {
        ArgumentNullException.ThrowIfNull(command);
        switch (command)
        {
            case GenerateImage { Async: true } image:
                var before = Ends(image.JobId).Count;
                await SendAsync(JobKind.Image, image, redelivery);
                var ended = await TestInfrastructure.EventuallyAsync(() => Task.FromResult(Ends(image.JobId).Count > before), TimeSpan.FromSeconds(seconds));
                ended.ShouldBeTrue($"job {image.JobId:N} did not end within {seconds} s");
                var end = Ends(image.JobId)[before];
                return new JobOutcome(command, end as IJobResult, end as JobFailed);
            case GenerateImage image:
                return JobOutcome.Of(command, await AskAsync<GenerateImage, ImageGenerated>(image, JobKind.Image, redelivery));
            case ChatCompletion chat:
                return JobOutcome.Of(command, await AskAsync<ChatCompletion, ChatCompleted>(chat, JobKind.Chat, redelivery));
            case Speech speech:
                return JobOutcome.Of(command, await AskAsync<Speech, SpeechSynthesized>(speech, JobKind.Speech, redelivery));
            default:
                throw new ArgumentException($"No way to run a {command.GetType().Name}.", nameof(command));
        }
    }

    /// <summary>Events of type <typeparamref name="T"/> recorded so far that match.</summary>
    public List<T> Recorded<T>(Func<T, bool>? match = null) =>
        [.. Events.OfType<T>().Where(e => match?.Invoke(e) ?? true)];

    /// <summary>Waits until at least <paramref name="count"/> matching events have arrived; fails the test otherwise.</summary>
    public async Task<List<T>> WaitForAsync<T>(Func<T, bool> match, int count = 1, int seconds = 30)
    {
        var arrived = await TestInfrastructure.EventuallyAsync(() => Task.FromResult(Recorded(match).Count >= count), TimeSpan.FromSeconds(seconds));
        arrived.ShouldBeTrue($"expected {count} {typeof(T).Name} event(s) within {seconds} s");
        return Recorded(match);
    }

    /// <summary>The results and failures published for a job, in the order they arrived.</summary>
    private List<IJobMessage> Ends(Guid jobId) =>
        [.. Events.OfType<IJobMessage>().Where(e => e.JobId == jobId && e is IJobResult or JobFailed)];

    private void Record<T>(IReceiveEndpointConfigurator endpoint)
        where T : class =>
        endpoint.Handler<T>(context =>
        {
            Events.Enqueue(context.Message);
            return Task.CompletedTask;
        });
}

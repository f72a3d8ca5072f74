using CCApi.Contracts;
using CCApi.Emulators.ImaginePro;
using CCApi.Testing.Adapters;
using MassTransit;

namespace CCApi.Adapters.ImaginePro.Tests.Support;

/// <summary>
/// One ImaginePro adapter against an emulator (the kit's <see cref="EmulatedAdapterHost{TProgram, TEmulator}"/>, RabbitMQ
/// vhost "imaginepro"), with quick polls and a short bus stop timeout. Two hosts can share a provider name and an
/// emulator (a second replica, or the same adapter after a restart).
/// </summary>
public class ImagineProAdapterHost : EmulatedAdapterHost<Program, ImagineProEmulator>
{
    public ImagineProAdapterHost()
        : this(null, null)
    {
    }

    protected ImagineProAdapterHost(string? provider, ImagineProEmulator? emulator)
        : base("imaginepro", "ImaginePro", provider ?? "imaginepro-test-" + Guid.NewGuid().ToString("N")[..8], emulator)
    {
    }

    /// <summary>Per-job catalog price carried on the route (nano-banana's catalog price).</summary>
    public static ModelPricing Pricing { get; } = new() { PerImage = 0.04m };

    public override IJobCommand Job() => Image();

    /// <summary>The deadline only applies to synchronous requests: an async job's client is not waiting.</summary>
    public override IJobCommand PastDeadlineJob() => Image(async: false) with { Deadline = DateTimeOffset.UtcNow.AddSeconds(-1) };

    protected override Task<ImagineProEmulator> StartEmulatorAsync() => ImagineProEmulator.StartAsync();

    protected override Dictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["ImaginePro:PollInitialInterval"] = "00:00:00.020";
        settings["ImaginePro:PollMaxInterval"] = "00:00:00.100";
        settings["ImaginePro:PollBackoffFactor"] = "2";
        settings["ImaginePro:MaxPollDuration"] = "00:00:30";
        settings["ImaginePro:MaxConsecutivePollFailures"] = "3";
        settings["Messaging:StopTimeout"] = "00:00:01";
        return settings;
    }

    public JobRoute Route(string model = "nano-banana") => Route(model, Pricing);

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
    public Task SendAsync(GenerateImage command) => SendAsync(JobKind.Image, command);

    /// <summary>Sends an async command and waits for the job to end; returns its ImageGenerated or its JobFailed.</summary>
    public async Task<(ImageGenerated? Generated, JobFailed? Failed)> RunAsync(GenerateImage command, int seconds = 60)
    {
        var outcome = await RunJobAsync(command, seconds);
        return (outcome.Result as ImageGenerated, outcome.Failed);
    }

    /// <summary>Sends an async command that must fail; returns the error it failed with.</summary>
    public async Task<ErrorInfo> FailedAsync(GenerateImage command) => (await RunJobAsync(command)).ShouldHaveFailed();

    /// <summary>The synchronous path: a request on the adapter's queue answered to the caller, as the gateway sends for sync models.</summary>
    public Task<Response<ImageGenerated, JobFailed>> AskAsync(GenerateImage command, bool redelivery = false) => AskAsync<GenerateImage, ImageGenerated>(command, JobKind.Image, redelivery);

    /// <summary>Events of type <typeparamref name="T"/> recorded for a job, in the order they were published.</summary>
    public List<T> Recorded<T>(Guid jobId)
        where T : class, IJobMessage =>
        [.. Events.OfType<T>().Where(e => e.JobId == jobId).OrderBy(e => e.Timestamp)];
}

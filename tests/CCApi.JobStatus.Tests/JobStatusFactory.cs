using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using CCApi.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace CCApi.JobStatus.Tests;

/// <summary>The JobStatus service in-process on the real RabbitMQ (vhost "jobstatus") and Redis.</summary>
public class JobStatusFactory : ServiceFactory<Program>
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public JobStatusFactory()
        : this(null)
    {
    }

    /// <summary>With extra settings ("Section:Key"); xUnit fixtures use the parameterless constructor.</summary>
    internal JobStatusFactory(IReadOnlyDictionary<string, string?>? settings)
        : base("jobstatus", settings)
    {
    }

    public IBus Bus => Services.GetRequiredService<IBus>();

    public async Task<JobView?> GetJobAsync(Guid jobId)
    {
        using var response = await CreateClient().GetAsync($"/jobs/{jobId:N}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JobView>(Json);
    }

    /// <summary>Polls GET /jobs/{id} until the predicate holds; fails the test with the last view otherwise.</summary>
    public async Task<JobView> WaitForJobAsync(Guid jobId, Func<JobView, bool> predicate)
    {
        JobView? last = null;
        var ok = await TestInfrastructure.EventuallyAsync(async () =>
        {
            last = await GetJobAsync(jobId);
            return last is not null && predicate(last);
        }, Patience);
        ok.ShouldBeTrue($"job {jobId:N} never matched; last seen: {JsonSerializer.Serialize(last, Json)}");
        return last!;
    }

    public Task<JobView> WaitForStateAsync(Guid jobId, string state) => WaitForJobAsync(jobId, j => j.State == state);

    public async Task RegisterAsync(RegisterJob register)
    {
        var client = Bus.CreateRequestClient<RegisterJob>();
        var response = await client.GetResponse<JobRegistered>(register);
        response.Message.JobId.ShouldBe(register.JobId);
    }

    /// <summary>Registers an image job (posting its webhook to <paramref name="webhookUrl"/>, if any) and publishes its result, as an adapter would.</summary>
    public async Task RegisterAndGenerateAsync(Guid jobId, string? webhookUrl = null)
    {
        await RegisterAsync(TestJobs.Register(jobId, webhookUrl));
        await Bus.Publish(TestJobs.Generated(jobId));
    }

    /// <summary>Registers a new image job and publishes its result; answers its id once the job view says completed.</summary>
    public async Task<Guid> CompleteNewJobAsync()
    {
        var jobId = Guid.NewGuid();
        await RegisterAndGenerateAsync(jobId);
        await WaitForStateAsync(jobId, "completed");
        return jobId;
    }

    /// <summary>Polls until the job's webhook delivery has reached <paramref name="status"/> (delivered, failed, dead).</summary>
    public Task<JobView> WaitForWebhookAsync(Guid jobId, string status) => WaitForJobAsync(jobId, j => j.Webhook?.Status == status);

    /// <summary>Signals when the service has finished consuming a job message (for events that must change nothing).</summary>
    public ConsumedMessages WatchConsumed()
    {
        var watcher = new ConsumedMessages();
        watcher.Handle = Bus.ConnectConsumeObserver(watcher);
        return watcher;
    }
}

public sealed class ConsumedMessages : IConsumeObserver, IDisposable
{
    private readonly ConcurrentDictionary<(Type, Guid), TaskCompletionSource> _consumed = new();

    internal ConnectHandle? Handle { get; set; }

    public Task WaitAsync<T>(Guid jobId) => Signal(typeof(T), jobId).Task.WaitAsync(JobStatusFactory.Patience);

    public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context) where T : class
    {
        if (context.Message is IJobMessage message)
        {
            Signal(typeof(T), message.JobId).TrySetResult();
        }

        return Task.CompletedTask;
    }

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Task.CompletedTask;

    public void Dispose() => Handle?.Disconnect();

    private TaskCompletionSource Signal(Type type, Guid jobId) =>
        _consumed.GetOrAdd((type, jobId), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}

/// <summary>
/// The integration tests share the vhost's "jobstatus" queue: two live service instances would compete for each other's
/// events (with different settings), so the classes run one at a time and each disposes its instance at the end.
/// </summary>
[CollectionDefinition(Name)]
public sealed class JobStatusBusCollection
{
    public const string Name = "jobstatus-bus";
}

internal static class TestJobs
{
    public static readonly JobRoute Route = new() { OwnerId = "key-it", Provider = "local", Model = "local/pixel-async-1", ProviderModel = "pixel-async-1" };

    public static RegisterJob Register(Guid jobId, string? webhookUrl = null, string responseFormat = "url", string mode = "async") => new()
    {
        JobId = jobId,
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route,
        Kind = JobKind.Image,
        Mode = mode,
        Operation = "text-to-image",
        WebhookUrl = webhookUrl,
        ResponseFormat = responseFormat,
        EstimatedSeconds = 2,
    };

    public static JobStarted Started(Guid jobId) => new() { JobId = jobId, Timestamp = DateTimeOffset.UtcNow, Route = Route, Kind = JobKind.Image };

    public static ImageGenerated Generated(Guid jobId, BlobRef? blob = null) => new()
    {
        JobId = jobId,
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route,
        Operation = "text-to-image",
        Images = [new GeneratedImage { Blob = blob ?? new BlobRef { Id = new string('a', 32), ContentType = "image/png", Length = 100 }, Seed = 7, RevisedPrompt = "a fox, watercolor" }],
        Usage = new Usage { Images = 1, Cost = 0.04m },
    };

    public static GenerateImage Command(Guid jobId) => new()
    {
        JobId = jobId,
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route,
        Operation = "text-to-image",
        Prompt = "a fox",
        Width = 64,
        Height = 64,
        Async = true,
    };
}

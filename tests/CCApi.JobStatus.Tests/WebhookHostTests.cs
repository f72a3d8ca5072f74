using CCApi.JobStatus.Jobs;

namespace CCApi.JobStatus.Tests;

/// <summary>
/// Webhook tests that need JobStatus configured unlike <see cref="WebhookFactory"/>: every test starts its own host and a
/// receiver, and stops both afterwards (xUnit 2 does not call IAsyncDisposable).
/// </summary>
public abstract class WebhookHostTests(JobStatusFactory factory) : IAsyncLifetime
{
    protected JobStatusFactory Factory => factory;

    protected WebhookReceiver Receiver { get; private set; } = null!;

    public async Task InitializeAsync() => Receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync()
    {
        await Receiver.DisposeAsync();
        await factory.DisposeAsync();
    }

    /// <summary>Runs a job whose webhook this host must refuse: answers its view once the delivery failed, nothing having reached the receiver.</summary>
    protected async Task<JobView> RefusedWebhookJobAsync(Guid jobId)
    {
        var hook = Receiver.Hook(200);
        await factory.RegisterAndGenerateAsync(jobId, hook);

        var job = await factory.WaitForWebhookAsync(jobId, "failed");
        Receiver.DeliveriesTo(hook).ShouldBeEmpty();
        return job;
    }
}

using CCApi.Adapters.Hosting;
using CCApi.Adapters.ImaginePro.Jobs;
using CCApi.Contracts;
using MassTransit;

namespace CCApi.Adapters.ImaginePro.Consumers;

/// <summary>
/// Images through ImaginePro (asynchronous upstream: submit, poll, download). Commands normally come with Async=true
/// (the client already has its 202): JobStarted, JobProgressed and then ImageGenerated or JobFailed are published. A
/// synchronous request gets the same work and the outcome as its response, within the command's deadline.
/// </summary>
public sealed class GenerateImageConsumer(ImagineProJob job, AdapterJobRunner runner) : IConsumer<GenerateImage>
{
    /// <summary>The result-cache key of a finished job (a redelivery after completion answers with it).</summary>
    public const string ResultStep = "imaginepro-image";

    public async Task Consume(ConsumeContext<GenerateImage> context)
    {
        var command = context.Message;
        using var call = AdapterTelemetry.Start(command);

        // A process stop mid-poll hands the command back to the queue (AdapterJobRunner); redelivered, it resumes the
        // stored provider job (ImagineProTaskStore): nothing is submitted or paid twice.
        await runner.RunAsync(context, JobKind.Image, ResultStep, call, cancellationToken => job.RunAsync(context, cancellationToken));
    }
}

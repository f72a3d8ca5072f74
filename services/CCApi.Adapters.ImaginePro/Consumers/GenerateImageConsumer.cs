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
        using var activity = AdapterTelemetry.Start("imaginepro.image", command, command.Route);
        activity?.SetTag("ccapi.operation", command.Operation);
        activity?.SetTag("ccapi.async", command.Async);

        try
        {
            await runner.RunAsync(context, JobKind.Image, ResultStep, activity, cancellationToken => job.RunAsync(context, cancellationToken));
        }
        catch (OperationCanceledException ex) when (context.CancellationToken.IsCancellationRequested && ex.CancellationToken != context.CancellationToken)
        {
            // The process is stopping (rolling update, scale-in) while the job polls. MassTransit returns a message to the
            // queue only when the cancellation is ITS token's; any other token reads as a consumer failure and faults the
            // job. Redelivered, the command resumes the stored provider job (ImagineProTaskStore): nothing is paid twice.
            throw new OperationCanceledException("The adapter stopped while the job was running; the command goes back to the queue.", ex, context.CancellationToken);
        }
    }
}

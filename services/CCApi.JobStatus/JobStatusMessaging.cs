using CCApi.Contracts;
using CCApi.JobStatus.Consumers;
using CCApi.JobStatus.Webhooks;
using CCApi.Messaging;
using MassTransit;

namespace CCApi.JobStatus;

/// <summary>
/// Every consumer JobStatus runs, registered in one place: the job events and command faults that write job records
/// (all through the one Lua script, on the "jobstatus" queue) and webhook delivery on its own queue.
/// </summary>
public static class JobStatusMessaging
{
    public static IHostApplicationBuilder AddJobStatusMessaging(this IHostApplicationBuilder builder) =>
        builder.AddMessaging(x =>
        {
            AddJobEventConsumer<RegisterJobConsumer>(x);
            AddJobEventConsumer<JobEventConsumer<JobStarted>>(x);
            AddJobEventConsumer<JobEventConsumer<JobProgressed>>(x);
            AddJobEventConsumer<JobEventConsumer<ImageGenerated>>(x);
            AddJobEventConsumer<JobEventConsumer<ChatCompleted>>(x);
            AddJobEventConsumer<JobEventConsumer<SpeechSynthesized>>(x);
            AddJobEventConsumer<JobEventConsumer<JobFailed>>(x);
            AddJobEventConsumer<JobEventConsumer<JobCanceled>>(x);
            AddJobEventConsumer<SynchronousOutcomesConsumer>(x);
            AddJobEventConsumer<JobCommandFaultConsumer<GenerateImage>>(x);
            AddJobEventConsumer<JobCommandFaultConsumer<ChatCompletion>>(x);
            AddJobEventConsumer<JobCommandFaultConsumer<Speech>>(x);

            // Webhook delivery, on its own "jobstatus-webhooks" queue.
            x.AddConsumer<DeliverWebhookConsumer, DeliverWebhookConsumerDefinition>();
        });

    /// <summary>A job-record writer on the shared "jobstatus" queue (<see cref="JobEventConsumerDefinition{TConsumer}"/>).</summary>
    private static void AddJobEventConsumer<TConsumer>(IBusRegistrationConfigurator x)
        where TConsumer : class, IConsumer =>
        x.AddConsumer<TConsumer, JobEventConsumerDefinition<TConsumer>>();
}

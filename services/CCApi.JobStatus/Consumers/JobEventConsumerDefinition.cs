using MassTransit;

namespace CCApi.JobStatus.Consumers;

/// <summary>
/// The definition every job-event consumer shares: all of them on one queue, "jobstatus" (one queue for the service's
/// event intake, competing consumers across replicas), with retries for the only thing that fails transiently here —
/// Redis. The Lua script makes a retried or redelivered event harmless.
/// </summary>
public sealed class JobEventConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    public const string QueueName = "jobstatus";

    public JobEventConsumerDefinition() => EndpointName = QueueName;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context)
    {
        consumerConfigurator.UseMessageRetry(r => r.Intervals(100, 500, 1000, 2000, 5000));
    }
}

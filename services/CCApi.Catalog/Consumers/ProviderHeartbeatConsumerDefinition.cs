using MassTransit;

namespace CCApi.Catalog.Consumers;

/// <summary>
/// Every catalog replica keeps its own live status, so every replica must see every heartbeat: each process gets its
/// own temporary queue (auto-deleted when the process goes) bound to the ProviderHeartbeat exchange — a fan-out, not a
/// competing-consumer queue.
/// </summary>
public sealed class ProviderHeartbeatConsumerDefinition : ConsumerDefinition<ProviderHeartbeatConsumer>
{
    public ProviderHeartbeatConsumerDefinition()
    {
        Endpoint(e =>
        {
            e.Name = "catalog-provider-heartbeat";
            e.InstanceId = Guid.NewGuid().ToString("N")[..12];
            e.Temporary = true;
        });
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ProviderHeartbeatConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // Applying a heartbeat cannot fail; publishing CatalogChanged can, briefly, while the broker reconnects.
        consumerConfigurator.UseMessageRetry(r => r.Intervals(100, 500, 1000));
    }
}

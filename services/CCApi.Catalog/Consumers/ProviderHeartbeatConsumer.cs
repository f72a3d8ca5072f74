using CCApi.Contracts;
using MassTransit;

namespace CCApi.Catalog.Consumers;

/// <summary>Folds an adapter's heartbeat into the live status; a status change is announced with CatalogChanged.</summary>
public sealed class ProviderHeartbeatConsumer(CatalogState catalog) : IConsumer<ProviderHeartbeat>
{
    public async Task Consume(ConsumeContext<ProviderHeartbeat> context)
    {
        if (catalog.ApplyHeartbeat(context.Message))
        {
            await context.Publish(catalog.ChangedEvent(), context.CancellationToken);
        }
    }
}

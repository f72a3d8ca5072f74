using MassTransit;

namespace CCApi.Gateway.Consumers;

/// <summary>
/// Every gateway replica must see every CatalogChanged, so the consumer gets a temporary, per-instance queue (auto-deleted
/// when the process stops) instead of a shared, competing one. No retry: a refresh request cannot fail, and a lost one
/// is covered by the periodic refresh.
/// </summary>
public sealed class CatalogChangedConsumerDefinition : ConsumerDefinition<CatalogChangedConsumer>
{
    public CatalogChangedConsumerDefinition()
    {
        Endpoint(e =>
        {
            e.Temporary = true;
            e.InstanceId = "gateway-" + Guid.NewGuid().ToString("N")[..12];
            e.ConcurrentMessageLimit = 1;
        });
    }
}

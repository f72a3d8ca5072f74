using MassTransit;

namespace CCApi.Gateway.Consumers;

/// <summary>
/// For events every gateway replica must see (CatalogChanged, ApiKeyChanged): a temporary, per-instance queue
/// (auto-deleted when the process stops) instead of a shared, competing one. No retry: the consumers only invalidate
/// local state, which cannot fail.
/// </summary>
public abstract class PerInstanceConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    protected PerInstanceConsumerDefinition()
    {
        Endpoint(e =>
        {
            e.Temporary = true;
            e.InstanceId = "gateway-" + Guid.NewGuid().ToString("N")[..12];
            e.ConcurrentMessageLimit = 1;
        });
    }
}

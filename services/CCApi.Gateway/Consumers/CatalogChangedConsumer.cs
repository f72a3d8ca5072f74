using MassTransit;

namespace CCApi.Gateway.Consumers;

/// <summary>The catalog changed (content or a provider's status): refresh this replica's snapshot soon.</summary>
public sealed class CatalogChangedConsumer(CatalogRefresher refresher) : IConsumer<CatalogChanged>
{
    public Task Consume(ConsumeContext<CatalogChanged> context)
    {
        refresher.RequestRefresh();
        return Task.CompletedTask;
    }
}

using CCApi.Gateway.Consumers;
using CCApi.Gateway.Dispatch;
using CCApi.Messaging;
using MassTransit;

namespace CCApi.Gateway;

/// <summary>
/// What the gateway consumes on the bus (its requests go through Dispatch/SynchronousCalls). Kept apart from <see cref="GatewayRegistration"/> because these
/// are the gateway's bus contracts (which queues it owns), not its in-process services.
/// </summary>
public static class GatewayMessaging
{
    public static IHostApplicationBuilder AddGatewayMessaging(this IHostApplicationBuilder builder)
    {
        builder.AddMessaging(
            x =>
            {
                x.AddConsumer<CatalogChangedConsumer, CatalogChangedConsumerDefinition>(); // per-instance: refresh the snapshot
                x.AddConsumer<ApiKeyChangedConsumer, ApiKeyChangedConsumerDefinition>();   // per-instance: evict a changed key
                x.AddConsumer<CreditSettlementConsumer, CreditSettlementConsumerDefinition>(); // shared: settle jobs from terminal events
            },
            (context, bus) => context.GetRequiredService<SynchronousCalls>().Configure(bus)); // direct reply-to: synchronous calls' responses
        builder.Services.AddHostedService<LegacySettlementQueue>();                   // an upgraded broker's orphan queue, removed once
        return builder;
    }
}

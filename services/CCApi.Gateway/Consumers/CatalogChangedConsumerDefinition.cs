namespace CCApi.Gateway.Consumers;

/// <summary>
/// Every gateway replica must see every CatalogChanged: a per-instance queue. A lost refresh request is covered by the
/// periodic refresh.
/// </summary>
public sealed class CatalogChangedConsumerDefinition : PerInstanceConsumerDefinition<CatalogChangedConsumer>;

namespace CCApi.Gateway.Consumers;

/// <summary>Every gateway replica must see every ApiKeyChanged (a revocation must reach all of them): a per-instance queue.</summary>
public sealed class ApiKeyChangedConsumerDefinition : PerInstanceConsumerDefinition<ApiKeyChangedConsumer>;

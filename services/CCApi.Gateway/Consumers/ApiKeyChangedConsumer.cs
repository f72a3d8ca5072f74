using MassTransit;

namespace CCApi.Gateway.Consumers;

/// <summary>A key was changed or revoked (on any replica): forget this replica's cached copy, so the next use reads it again.</summary>
public sealed class ApiKeyChangedConsumer(ApiKeyStore keys) : IConsumer<ApiKeyChanged>
{
    public Task Consume(ConsumeContext<ApiKeyChanged> context)
    {
        keys.Evict(context.Message.KeyId);
        return Task.CompletedTask;
    }
}

using MassTransit;

namespace CCApi.Gateway.Accounts;

/// <summary>
/// Announces a key change: evicts it here at once and publishes <see cref="ApiKeyChanged"/> so every other replica does
/// too. Used by the changes replicas cache (PATCH, revocation), which are idempotent: if the bus refuses the event the
/// change is saved but other replicas may still hold the old record, so the admin call answers 503 and repeating it
/// publishes again.
/// </summary>
public sealed class KeyChanges(ApiKeyStore keys, IPublishEndpoint publisher, TimeProvider time)
{
    public async Task PublishAsync(string keyId, string change, CancellationToken cancellationToken)
    {
        keys.Evict(keyId);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await publisher.Publish(new ApiKeyChanged { KeyId = keyId, Timestamp = time.GetUtcNow(), Change = change }, timeout.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new ApiException(503, ErrorTypes.Api, GatewayErrorCodes.ServiceUnavailable,
                "The change is saved, but other gateway replicas could not be told yet; repeat the request to announce it again.");
        }
    }
}

namespace CCApi.Gateway.Catalog;

/// <summary>What request handlers use: the current snapshot, or — before the first load — one bounded attempt, else 503.</summary>
public sealed class CatalogAccess(CatalogSnapshot snapshot, CatalogRefresher refresher)
{
    private static readonly TimeSpan FirstLoadWait = TimeSpan.FromSeconds(3);

    public ValueTask<CatalogView> GetAsync(CancellationToken cancellationToken) =>
        snapshot.Current is { } view ? ValueTask.FromResult(view) : new ValueTask<CatalogView>(LoadAsync(cancellationToken));

    private async Task<CatalogView> LoadAsync(CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(FirstLoadWait);
        try
        {
            if (await refresher.EnsureLoadedAsync(wait.Token) is { } view)
            {
                return view;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // fall through to 503
        }

        throw new ApiException(503, ErrorTypes.Api, GatewayErrorCodes.ServiceUnavailable,
            "The model catalog is not loaded yet; retry shortly.");
    }
}

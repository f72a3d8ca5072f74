using System.Threading.Channels;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CCApi.Gateway.Catalog;

/// <summary>
/// Keeps <see cref="CatalogSnapshot"/> current: loads GET {Services:CatalogUrl}/catalog at start (retrying with backoff
/// until it succeeds), then refreshes every Gateway:CatalogRefreshInterval and whenever a CatalogChanged event asks.
/// Refreshes never overlap, so an older document can never replace a newer one.
/// </summary>
public sealed partial class CatalogRefresher(
    CatalogSnapshot snapshot,
    IServiceScopeFactory scopes,
    IOptions<GatewayOptions> options,
    ILogger<CatalogRefresher> logger) : BackgroundService
{
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Asks for a refresh soon (coalesced).</summary>
    public void RequestRefresh() => _signal.Writer.TryWrite(true);

    /// <summary>For a request that arrives before the first load: tries once now, bounded by <paramref name="cancellationToken"/>.</summary>
    public async Task<CatalogView?> EnsureLoadedAsync(CancellationToken cancellationToken)
    {
        if (snapshot.Current is { } current)
        {
            return current;
        }

        await RefreshAsync(cancellationToken);
        return snapshot.Current;
    }

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            var ok = await RefreshAsync(stoppingToken);
            TimeSpan wait;
            if (snapshot.Current is null && !ok)
            {
                wait = backoff;
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 10_000));
            }
            else
            {
                wait = options.Value.CatalogRefreshInterval;
            }

            using var timer = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timer.CancelAfter(wait);
            try
            {
                await _signal.Reader.ReadAsync(timer.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // interval elapsed
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            using var scope = scopes.CreateScope();
            var client = scope.ServiceProvider.GetRequiredService<CatalogClient>();
            var document = await client.GetCatalogAsync(cancellationToken);
            var previous = snapshot.Current;
            snapshot.Update(document);
            if (previous is null || previous.Version != document.Version)
            {
                LogLoaded(logger, document.Version, document.Models.Count, document.Providers.Count);
            }

            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            LogFailed(logger, ex);
            return false;
        }
        finally
        {
            _gate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalog {Version} loaded: {Models} models, {Providers} providers")]
    private static partial void LogLoaded(ILogger logger, string version, int models, int providers);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Catalog refresh failed; keeping the previous snapshot")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

/// <summary>Readiness: the gateway cannot route anything until it holds a catalog snapshot.</summary>
public sealed class CatalogHealthCheck(CatalogSnapshot snapshot) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(snapshot.Current is { } view
            ? HealthCheckResult.Healthy($"catalog {view.Version}")
            : HealthCheckResult.Unhealthy("No catalog snapshot loaded yet."));
}

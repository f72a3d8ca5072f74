using System.Security.Cryptography;
using MassTransit;
using Microsoft.Extensions.Options;

namespace CCApi.Catalog;

/// <summary>
/// Reloads the definition file when it changes (polling its timestamp and content hash, which also works for
/// Kubernetes ConfigMap symlink swaps where file-system events do not). An invalid new file is logged and ignored:
/// the last good catalog keeps serving.
/// </summary>
public sealed partial class CatalogDefinitionWatcher(
    CatalogDefinitionSource source, CatalogState catalog, IBus bus, IOptions<CatalogOptions> options, TimeProvider time,
    ILogger<CatalogDefinitionWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.WatchInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        var path = source.Path;
        var (stamp, hash) = Fingerprint(path);
        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var info = new FileInfo(path);
                if (!info.Exists || (info.LastWriteTimeUtc, info.Length) == stamp)
                {
                    continue;
                }

                var (newStamp, newHash) = Fingerprint(path);
                stamp = newStamp;
                if (newHash.SequenceEqual(hash))
                {
                    continue;
                }

                var definition = source.Load();
                hash = newHash;
                catalog.ReplaceDefinition(definition);
                var changed = catalog.ChangedEvent();
                LogReloaded(logger, path, changed.Version, definition.Providers.Count, definition.Models.Count);
                await bus.Publish(changed, stoppingToken);
            }
            catch (CatalogDefinitionException ex)
            {
                LogInvalid(logger, ex.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogWatchFailed(logger, ex);
            }
        }
    }

    private static ((DateTime, long) Stamp, byte[] Hash) Fingerprint(string path)
    {
        var info = new FileInfo(path);
        return ((info.LastWriteTimeUtc, info.Length), SHA256.HashData(File.ReadAllBytes(path)));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalog definition {Path} reloaded as {Version}: {Providers} providers, {Models} models")]
    private static partial void LogReloaded(ILogger logger, string path, string version, int providers, int models);

    [LoggerMessage(Level = LogLevel.Error, Message = "Changed catalog definition ignored, the previous one stays in force. {Problem}")]
    private static partial void LogInvalid(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking the catalog definition for changes failed")]
    private static partial void LogWatchFailed(ILogger logger, Exception exception);
}

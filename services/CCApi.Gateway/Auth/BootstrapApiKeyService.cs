namespace CCApi.Gateway.Auth;

/// <summary>
/// Stores Auth:BootstrapApiKey at start so a fresh installation (run.sh, tests) has a working key. The first attempt
/// is awaited so the key works as soon as the host serves; if Redis is not there yet, it keeps trying in the background.
/// </summary>
public sealed partial class BootstrapApiKeyService(ApiKeyStore keys, IOptions<AuthOptions> options, ILogger<BootstrapApiKeyService> logger)
    : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _retry;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var key = options.Value.BootstrapApiKey;
        if (string.IsNullOrEmpty(key))
        {
            return;
        }

        if (!await TryStoreAsync(key))
        {
            _retry = RetryAsync(key, _stopping.Token);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_retry is not null)
        {
            await _retry.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>
    /// Cancels rather than disposes, as <see cref="BackgroundService"/> does: the host may dispose its services while
    /// another caller is still stopping it (a test server's dispose racing the application's own shutdown), and a
    /// <see cref="StopAsync"/> after a disposed source threw. A source without a timer holds nothing to release.
    /// </summary>
    public void Dispose() => _stopping.Cancel();

    private async Task RetryAsync(string key, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(delay, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (await TryStoreAsync(key))
            {
                return;
            }

            delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 15));
        }
    }

    private async Task<bool> TryStoreAsync(string key)
    {
        try
        {
            var id = await keys.StoreAsync(key, "bootstrap");
            LogStored(logger, id);
            return true;
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            LogFailed(logger, ex);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Bootstrap API key stored as {KeyId}")]
    private static partial void LogStored(ILogger logger, string keyId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not store the bootstrap API key yet; retrying")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

using System.Net;
using CCApi.ServiceDefaults;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// Every upstream HTTP call of one provider goes through here: the API-key check, the per-attempt timeout, bounded
/// retries only where a retry can help (429 honouring Retry-After, 5xx, timeouts, connection failures — never 4xx),
/// and one circuit breaker per provider (a call whose retries are exhausted counts once). What comes back is a success
/// response; every failure leaves as an <see cref="UpstreamException"/> carrying the CCAPI error.
/// </summary>
public sealed partial class UpstreamPipeline
{
    private readonly UpstreamAdapterOptions _options;
    private readonly CircuitBreakerState _circuit;
    private readonly ILogger<UpstreamPipeline> _logger;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public UpstreamPipeline(UpstreamAdapterOptions options, CircuitBreakerState circuit, ProviderHealth health, TimeProvider time, ILogger<UpstreamPipeline> logger)
    {
        _options = options;
        _circuit = circuit;
        _logger = logger;

        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time };
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
        {
            FailureRatio = options.BreakerFailureRatio,
            MinimumThroughput = options.BreakerMinimumThroughput,
            SamplingDuration = options.BreakerSamplingDuration,
            BreakDuration = options.BreakerBreakDuration,
            StateProvider = circuit.Circuit,
            ShouldHandle = args => ValueTask.FromResult(IsProviderFailure(args.Outcome)),
            OnOpened = args =>
            {
                LogCircuitOpened(logger, options.Provider, args.BreakDuration);
                circuit.Opened(args.BreakDuration);
                health.Changed();
                return default;
            },
            OnClosed = _ =>
            {
                LogCircuitClosed(logger, options.Provider);
                circuit.Closed();
                health.Changed();
                return default;
            },
        });

        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = TimeSpan.FromSeconds(30),
                ShouldHandle = args => ValueTask.FromResult(IsRetryable(args.Outcome, options.MaxRetryAfter)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfterOf(args.Outcome.Result)),
                OnRetry = args =>
                {
                    LogRetrying(logger, options.Provider, args.AttemptNumber + 1, Describe(args.Outcome), args.RetryDelay);
                    return default;
                },
            });
        }

        _pipeline = builder.Build();
    }

    /// <summary>
    /// Sends the request built by <paramref name="createRequest"/> (called once per attempt). <paramref name="streaming"/>:
    /// return as soon as the headers are in (the caller reads the body); otherwise the whole body is read within the attempt.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(
        HttpClient client,
        Func<HttpRequestMessage> createRequest,
        bool streaming,
        CancellationToken cancellationToken,
        Func<string?, UpstreamErrorBody?>? parseError = null)
    {
        var provider = _options.Provider;
        if (!_options.HasApiKey)
        {
            throw new UpstreamException(UpstreamErrors.NoApiKey(provider));
        }

        HttpResponseMessage response;
        try
        {
            response = await _pipeline.ExecuteAsync(
                static async (state, token) => await state.Self.AttemptAsync(state.Client, state.CreateRequest, state.Streaming, token),
                (Self: this, Client: client, CreateRequest: createRequest, Streaming: streaming),
                cancellationToken);
        }
        catch (BrokenCircuitException ex)
        {
            throw new UpstreamException(UpstreamErrors.CircuitOpen(provider, ex.RetryAfter ?? (_circuit.OpenUntil - DateTimeOffset.UtcNow)), ex);
        }
        catch (TimeoutException ex)
        {
            throw new UpstreamException(UpstreamErrors.Timeout(provider, _options.RequestTimeout), ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            LogUnreachable(_logger, ex, provider);
            throw new UpstreamException(UpstreamErrors.Unreachable(provider), ex);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            string? body = null;
            try
            {
                using var read = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                read.CancelAfter(_options.RequestTimeout);
                body = await response.Content.ReadAsStringAsync(read.Token);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // the status alone still says what happened
            }

            var status = (int)response.StatusCode;
            var error = UpstreamErrors.FromStatus(provider, status, (parseError ?? UpstreamErrorBody.Parse)(body), RetryAfterOf(response));
            LogUpstreamFailed(_logger, provider, status, error.Code);
            throw new UpstreamException(error);
        }
    }

    private async ValueTask<HttpResponseMessage> AttemptAsync(HttpClient client, Func<HttpRequestMessage> createRequest, bool streaming, CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(_options.RequestTimeout);
        using var request = createRequest();
        try
        {
            return await client.SendAsync(request, streaming ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, attempt.Token);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No answer within {_options.RequestTimeout}.", ex);
        }
    }

    /// <summary>What counts against the provider's health: server errors, timeouts, connection failures (not 4xx, not 429).</summary>
    public static bool IsProviderFailure(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is TimeoutException or HttpRequestException or IOException
        || outcome.Result is { StatusCode: >= HttpStatusCode.InternalServerError } or { StatusCode: HttpStatusCode.RequestTimeout };

    /// <summary>What a retry can help with: 429 (unless its Retry-After is longer than we wait), 408, 5xx, timeouts, connection failures.</summary>
    public static bool IsRetryable(Outcome<HttpResponseMessage> outcome, TimeSpan maxRetryAfter)
    {
        if (outcome.Result is { StatusCode: HttpStatusCode.TooManyRequests } limited)
        {
            return RetryAfterOf(limited) is not { } wait || wait <= maxRetryAfter;
        }

        return IsProviderFailure(outcome);
    }

    /// <summary>The provider's Retry-After (seconds or an HTTP date), when it sent one.</summary>
    public static TimeSpan? RetryAfterOf(HttpResponseMessage? response)
    {
        var header = response?.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    private static string Describe(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is { } ex ? ex.GetType().Name : $"HTTP {(int)outcome.Result!.StatusCode}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider {Provider}: attempt failed ({Reason}); retry {Retry} in {Delay}")]
    private static partial void LogRetryingCore(ILogger logger, string provider, string reason, int retry, TimeSpan delay);

    private static void LogRetrying(ILogger logger, string provider, int retry, string reason, TimeSpan delay) => LogRetryingCore(logger, provider, reason, retry, delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider {Provider} answered HTTP {Status}; job fails with {Code}")]
    private static partial void LogUpstreamFailed(ILogger logger, string provider, int status, string? code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider {Provider} could not be reached")]
    private static partial void LogUnreachable(ILogger logger, Exception exception, string provider);

    [LoggerMessage(Level = LogLevel.Error, Message = "Provider {Provider}: circuit opened after repeated failures; failing fast for {BreakDuration}")]
    private static partial void LogCircuitOpened(ILogger logger, string provider, TimeSpan breakDuration);

    [LoggerMessage(Level = LogLevel.Information, Message = "Provider {Provider}: circuit closed, provider recovered")]
    private static partial void LogCircuitClosed(ILogger logger, string provider);
}

using System.Net.Http.Headers;
using System.Text;
using CCApi.ServiceDefaults;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace CCApi.JobStatus.Webhooks;

/// <summary>The outcome of one delivery: delivered (2xx) or not, after how many HTTP attempts, and why not.</summary>
public sealed record WebhookDelivery(bool Delivered, int Attempts, int? StatusCode, string? Problem);

/// <summary>
/// POSTs a webhook through the SSRF-safe outbound client (no loopback/private targets unless OutboundUrls allows it),
/// retrying server errors, timeouts and connection failures with exponential backoff; a 4xx or a refused address is final.
/// </summary>
public sealed class WebhookSender
{
    public const string EventHeader = "X-CCAPI-Event";

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly OutboundUrlGuard _guard;
    private readonly WebhookOptions _options;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public WebhookSender(OutboundUrlGuard guard, IOptions<WebhookOptions> options, TimeProvider time)
    {
        _guard = guard;
        _options = options.Value;
        _time = time;
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time };
        if (_options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = _options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.InitialDelay,
                MaxDelay = TimeSpan.FromMinutes(1),
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome, args.Context.CancellationToken)),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            });
        }

        _pipeline = builder.Build();
    }

    public async Task<WebhookDelivery> SendAsync(string url, string eventName, string body, CancellationToken cancellationToken)
    {
        if (OutboundUrlGuard.ValidateSyntax(url) is { } problem)
        {
            return new WebhookDelivery(false, 0, null, $"webhook_url {problem}.");
        }

        var bytes = Encoding.UTF8.GetBytes(body);
        using var client = _guard.CreateClient();
        var attempts = 0;
        try
        {
            using var response = await _pipeline.ExecuteAsync(async token =>
            {
                attempts++;
                using var request = new HttpRequestMessage(HttpMethod.Post, url);
                request.Content = new ByteArrayContent(bytes) { Headers = { ContentType = Json } };
                request.Headers.Add(EventHeader, eventName);
                if (_options.IsSigned)
                {
                    request.Headers.Add(WebhookSigner.HeaderName, WebhookSigner.Sign(_options.SigningSecret!, _time.GetUtcNow().ToUnixTimeSeconds(), body));
                }

                return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
            }, cancellationToken);

            var status = (int)response.StatusCode;
            return new WebhookDelivery(response.IsSuccessStatusCode, attempts, status, response.IsSuccessStatusCode ? null : $"The receiver answered HTTP {status}.");
        }
        catch (HttpRequestException ex) when (ex.InnerException is OutboundUrlException refused)
        {
            return new WebhookDelivery(false, attempts, null, refused.Message);
        }
        catch (HttpRequestException ex)
        {
            return new WebhookDelivery(false, attempts, null, $"The receiver could not be reached: {ex.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new WebhookDelivery(false, attempts, null, "The receiver did not answer in time.");
        }
    }

    /// <summary>5xx, timeouts and connection failures are worth another try; 4xx and refused addresses are not.</summary>
    public static bool IsTransient(Outcome<HttpResponseMessage> outcome, CancellationToken cancellationToken) => outcome switch
    {
        { Exception: HttpRequestException { InnerException: OutboundUrlException } } => false,
        { Exception: HttpRequestException } => true,
        { Exception: OperationCanceledException } => !cancellationToken.IsCancellationRequested,
        { Exception: not null } => false,
        { Result: { } response } => (int)response.StatusCode >= 500,
        _ => false,
    };
}

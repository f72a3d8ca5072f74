using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CCApi.Outbound;
using CCApi.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace CCApi.JobStatus.Webhooks;

/// <summary>What one HTTP attempt came to.</summary>
public enum WebhookAttemptOutcome
{
    /// <summary>2xx.</summary>
    Delivered,

    /// <summary>Worth another try later: 5xx, 4xx (but 410), 3xx (never followed), timeouts, connection failures.</summary>
    Retry,

    /// <summary>Final without success: 410 Gone, or a URL the outbound guard refuses (it will not become allowed).</summary>
    Stop,
}

/// <summary>The outcome of one attempt, the HTTP status if any, why it failed, and the receiver's Retry-After.</summary>
public sealed record WebhookAttempt(WebhookAttemptOutcome Outcome, int? StatusCode, string? Problem, TimeSpan? RetryAfter = null);

/// <summary>One webhook message: its id (stable across attempts), event name and body.</summary>
public sealed record WebhookMessage(string Id, string EventName, string Body);

/// <summary>
/// Makes ONE attempt to POST a webhook through the SSRF-safe outbound client (no loopback/private targets unless
/// OutboundUrls allows it; redirects are never followed). Retries are the delivery's business (a schedule over a day
/// survives restarts; see <see cref="DeliverWebhookConsumer"/>), not an in-process loop.
/// </summary>
public sealed class WebhookSender(OutboundUrlGuard guard, IOptions<WebhookOptions> options, TimeProvider time)
{
    public const string EventHeader = "X-CCAPI-Event";

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    /// <summary>Null when webhooks are off (no secret): nothing is ever sent unsigned.</summary>
    private readonly WebhookSigner? _signer = options.Value.Enabled ? new WebhookSigner(options.Value.Secret!) : null;

    public async Task<WebhookAttempt> SendAsync(string url, WebhookMessage message, CancellationToken cancellationToken)
    {
        if (_signer is not { } signer)
        {
            return new WebhookAttempt(WebhookAttemptOutcome.Stop, null, NotConfigured);
        }

        if (OutboundUrlGuard.ValidateSyntax(url) is { } problem)
        {
            return new WebhookAttempt(WebhookAttemptOutcome.Stop, null, $"webhook_url {problem}.");
        }

        using var client = guard.CreateClient();
        try
        {
            var timestamp = time.GetUtcNow(); // per attempt: receivers refuse old timestamps (replay protection)
            using var request = new HttpRequestMessage(HttpMethod.Post, url);
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(message.Body)) { Headers = { ContentType = Json } };
            request.Headers.Add(WebhookSigner.IdHeader, message.Id);
            request.Headers.Add(WebhookSigner.TimestampHeader, timestamp.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add(WebhookSigner.SignatureHeader, signer.Sign(message.Id, timestamp, message.Body));
            request.Headers.Add(EventHeader, message.EventName);
            request.Headers.Add(LegacySignature.HeaderName, signer.SignLegacy(timestamp, message.Body)); // deprecated

            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            return Classify(response, time.GetUtcNow());
        }
        catch (HttpRequestException ex) when (ex.InnerException is OutboundUrlException refused)
        {
            return new WebhookAttempt(WebhookAttemptOutcome.Stop, null, refused.Message);
        }
        catch (HttpRequestException ex)
        {
            return new WebhookAttempt(WebhookAttemptOutcome.Retry, null, $"The receiver could not be reached: {ex.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new WebhookAttempt(WebhookAttemptOutcome.Retry, null, "The receiver did not answer in time.");
        }
    }

    public const string NotConfigured = "Webhooks are not configured on this platform (Webhooks:Secret is unset): nothing is sent unsigned.";

    /// <summary>2xx delivered; 410 stops; anything else is retried (a 3xx included: it is never followed).</summary>
    public static WebhookAttempt Classify(HttpResponseMessage response, DateTimeOffset now)
    {
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            return new WebhookAttempt(WebhookAttemptOutcome.Delivered, status, null);
        }

        if (response.StatusCode == HttpStatusCode.Gone)
        {
            return new WebhookAttempt(WebhookAttemptOutcome.Stop, status, "The receiver answered HTTP 410 Gone: no further attempts.");
        }

        var problem = status is >= 300 and < 400
            ? $"The receiver answered HTTP {status} (a redirect, which is never followed)."
            : $"The receiver answered HTTP {status}.";
        return new WebhookAttempt(WebhookAttemptOutcome.Retry, status, problem, RetryAfter(response.Headers, now));
    }

    /// <summary>The longest Retry-After read; the schedule caps what it honours far below (<c>Webhooks:MaxRetryAfter</c>).</summary>
    private static readonly TimeSpan LongestRetryAfter = TimeSpan.FromDays(365);

    /// <summary>
    /// Retry-After as seconds or as an HTTP date; never negative. Read from the raw header: the typed one drops a number
    /// of seconds past <see cref="int.MaxValue"/> as invalid, which turned a receiver's "wait very long" into no wait at
    /// all (the next attempt on the normal schedule) instead of the longest wait honoured.
    /// </summary>
    public static TimeSpan? RetryAfter(HttpResponseHeaders headers, DateTimeOffset now)
    {
        if (!headers.NonValidated.TryGetValues("Retry-After", out var values) || values.Count != 1)
        {
            return null;
        }

        var raw = values.ToString().Trim();
        if (raw.Length > 0 && raw.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0)
        {
            // Digits only: seconds, however many (past long's range too) — at most the longest wait.
            return long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds < (long)LongestRetryAfter.TotalSeconds
                ? TimeSpan.FromSeconds(seconds)
                : LongestRetryAfter;
        }

        return RetryConditionHeaderValue.TryParse(raw, out var header) && header.Date is { } date
            ? (date > now ? Min(date - now, LongestRetryAfter) : TimeSpan.Zero)
            : null;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}

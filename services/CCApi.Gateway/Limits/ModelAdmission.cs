using System.Globalization;
using CCApi.Contracts;
using CCApi.Gateway.Accounts;
using CCApi.Gateway.Auth;
using CCApi.Gateway.Catalog;

namespace CCApi.Gateway.Limits;

/// <summary>
/// The step every model route takes after validating the request and resolving its model, and before dispatching it:
/// the key's allow-list (403), then its rate limits (429, one Redis round trip; 503 without Redis). It answers the
/// job's route. Keys without limits (the bootstrap key) cost nothing here and get no rate-limit headers; a limited
/// key's responses carry OpenAI's <c>x-ratelimit-*</c> headers (requests when it has an rpm, tokens when it has a tpm),
/// refused or not. A request is admitted once, whatever the number of failover candidates it tries. The credit
/// reservation belongs here too (same step, same script), so auth, limits and reservation stay one Redis round trip.
/// </summary>
public sealed class ModelAdmission(KeyRateLimiter limiter)
{
    public async ValueTask<JobRoute> AdmitAsync(HttpContext http, ModelEntry model, long estimatedTokens)
    {
        var caller = http.GetCaller();
        var route = ModelResolution.Route(model, caller);
        var limits = caller.Limits;
        if (limits.IsEmpty || http.RateLimitLease() is not null)
        {
            return route;
        }

        var charged = limits.Tpm is { } tpm ? Math.Min(estimatedTokens, tpm) : 0;
        var leaseId = limits.Concurrency is null ? null : Guid.NewGuid().ToString("N");
        var decision = await limiter.TryAdmitAsync(caller.KeyId, limits, charged, leaseId);
        http.Response.OnStarting(static state =>
        {
            var (response, answered, keyLimits) = ((HttpResponse, RateLimitDecision, KeyLimits))state;
            WriteHeaders(response.Headers, answered, keyLimits);
            return Task.CompletedTask;
        }, (http.Response, decision, limits));

        if (!decision.Admitted)
        {
            throw KeyRateLimiter.Refusal(decision, limits);
        }

        var lease = new RateLimitLease(limiter, caller.KeyId, leaseId, limits.Tpm ?? 0, charged);
        http.Features.Set(lease);
        http.Response.RegisterForDisposeAsync(lease);
        return route;
    }

    public static void WriteHeaders(IHeaderDictionary headers, RateLimitDecision decision, KeyLimits limits)
    {
        if (limits.Rpm is { } rpm)
        {
            headers[RateLimitHeaders.LimitRequests] = rpm.ToString(CultureInfo.InvariantCulture);
            headers[RateLimitHeaders.RemainingRequests] = decision.RemainingRequests.ToString(CultureInfo.InvariantCulture);
            headers[RateLimitHeaders.ResetRequests] = RateLimitHeaders.FormatDuration(decision.ResetRequests);
        }

        if (limits.Tpm is { } tpm)
        {
            headers[RateLimitHeaders.LimitTokens] = tpm.ToString(CultureInfo.InvariantCulture);
            headers[RateLimitHeaders.RemainingTokens] = decision.RemainingTokens.ToString(CultureInfo.InvariantCulture);
            headers[RateLimitHeaders.ResetTokens] = RateLimitHeaders.FormatDuration(decision.ResetTokens);
        }
    }
}

/// <summary>
/// The token estimate a request is admitted with under a TPM limit: characters / 4, rounded up (OpenAI's rule of
/// thumb for English), at least 1. Chat corrects it to the provider's <c>usage.total_tokens</c> when the request ends;
/// speech and images keep it (their input text is what they count).
/// </summary>
public static class TokenEstimate
{
    public static long FromCharacters(long characters) => Math.Max(1, (characters + 3) / 4);

    public static long FromMessages(IReadOnlyList<ChatMessage> messages)
    {
        long characters = 0;
        foreach (var message in messages)
        {
            characters += (message.Content?.Length ?? 0) + (message.ContentPartsJson?.Length ?? 0);
            if (message.ToolCalls is { } calls)
            {
                foreach (var call in calls)
                {
                    characters += call.Name.Length + call.Arguments.Length;
                }
            }
        }

        return FromCharacters(characters);
    }
}

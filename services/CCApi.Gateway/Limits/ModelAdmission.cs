using System.Globalization;
using CCApi.Gateway.Accounts;
using CCApi.Gateway.Api;

namespace CCApi.Gateway.Limits;

/// <summary>
/// The step every model route takes after validating the request and resolving its model, and before dispatching it:
/// the key's allow-list (403), then its rate limits (429) and — for a key with credits — the reservation of the request's
/// maximum cost (402), all in ONE script call (one Redis round trip; 503 without Redis). It answers the job's route. Keys
/// without limits or credits (the bootstrap key) cost nothing here and get no rate-limit headers; a limited key's
/// responses carry OpenAI's <c>x-ratelimit-*</c> headers (requests when it has an rpm, tokens when it has a tpm), refused
/// or not. A request is rate-limited once, whatever the number of failover candidates it tries; each candidate's job
/// holds its own reservation and — an asynchronous job of a key with <c>async_jobs</c> — its own slot (the previous
/// one's are released first). Every admitted job gets a <see cref="CreditHold"/>,
/// through which it settles on its key when it ends.
/// </summary>
public sealed class ModelAdmission(KeyRateLimiter limiter, CreditSettlement settlement, IOptions<CreditOptions> credits, TimeProvider time, ILogger<CreditHold> logger)
{
    /// <param name="http">The request (its caller, its lease and hold).</param>
    /// <param name="model">The resolved model.</param>
    /// <param name="estimatedTokens">The TPM charge estimate.</param>
    /// <param name="jobId">The job the reservation is for.</param>
    /// <param name="cost">The request's maximum cost in nano-dollars at the model's price (called only for keys with credits).</param>
    /// <param name="deadline">The job's deadline; null for an asynchronous job (held up to <see cref="CreditOptions.AsyncJobHold"/>).</param>
    public async ValueTask<JobRoute> AdmitAsync(HttpContext http, ModelEntry model, long estimatedTokens, Guid jobId, Func<ModelEntry, long> cost, DateTimeOffset? deadline)
    {
        var caller = http.GetCaller();
        var route = ModelResolution.Route(model, caller);
        if (http.CreditHold() is { } previous)
        {
            await previous.DisposeAsync(); // a failover candidate: the previous job's hold goes back first
        }

        var limits = caller.Limits;
        var chargeLimits = !limits.IsEmptyPerRequest && http.RateLimitLease() is null;
        Reservation? reservation = null;
        if (caller.HasCredits)
        {
            var expires = deadline is { } d ? d + credits.Value.ReservationGrace : time.GetUtcNow() + credits.Value.AsyncJobHold;
            reservation = new Reservation(jobId, cost(model), expires);
        }

        // An asynchronous job takes a slot under the key's async_jobs limit, as each failover candidate's job takes its own
        // reservation; a synchronous one is bounded by its request (concurrency).
        AsyncJobSlot? asyncSlot = deadline is null && limits.AsyncJobs is { } asyncJobs
            ? new AsyncJobSlot(jobId, asyncJobs, credits.Value.AsyncJobHold)
            : null;
        if (chargeLimits || reservation is not null || asyncSlot is not null)
        {
            await AdmitInRedisAsync(http, caller, limits, chargeLimits, estimatedTokens, reservation, asyncSlot);
        }

        // Every admitted job settles on its key: keys with credits release their reservation, every key's usage goes to its
        // ledger, an async job frees its slot.
        var hold = new CreditHold(settlement, caller.KeyId, jobId, reservation is not null, asyncSlot is not null, logger);
        http.Features.Set(hold);
        http.Response.RegisterForDisposeAsync(hold);
        return route;
    }

    /// <summary>
    /// The one script call of a limited key or a key with credits: limits checked and charged, the reservation and the
    /// async job's slot taken.
    /// </summary>
    private async Task AdmitInRedisAsync(
        HttpContext http, ApiCaller caller, KeyLimits limits, bool chargeLimits, long estimatedTokens, Reservation? reservation, AsyncJobSlot? asyncSlot)
    {
        var applied = chargeLimits ? limits : KeyLimits.None;
        var charged = applied.Tpm is { } tpm ? Math.Min(estimatedTokens, tpm) : 0;
        var leaseId = applied.Concurrency is null ? null : Guid.NewGuid().ToString("N");
        var decision = await limiter.TryAdmitAsync(caller.KeyId, applied, charged, leaseId, reservation, asyncSlot);
        if (chargeLimits)
        {
            WriteHeadersOnStart(http.Response, decision, limits);
        }

        if (!decision.Admitted)
        {
            throw decision.Refused == "credits"
                ? KeyRateLimiter.InsufficientBalance(decision, reservation!.Value.Nanos)
                : KeyRateLimiter.Refusal(decision, limits);
        }

        if (chargeLimits)
        {
            var lease = new RateLimitLease(limiter, caller.KeyId, leaseId, limits.Tpm ?? 0, charged);
            http.Features.Set(lease);
            http.Response.RegisterForDisposeAsync(lease);
        }
    }

    /// <summary>
    /// Counts a request that is not a model call but makes the platform act outward for the key — a webhook redelivery,
    /// one POST to the job's <c>webhook_url</c> — in the key's rpm, as a model request is (no tokens, no concurrency slot,
    /// no reservation): 429 with <c>Retry-After</c> past it, the <c>x-ratelimit-*-requests</c> headers either way. A key
    /// without an rpm (or the admin key) costs no Redis call.
    /// </summary>
    public async ValueTask AdmitRequestAsync(HttpContext http)
    {
        if (http.Features.Get<ApiCaller>() is not { Limits.Rpm: { } rpm } caller)
        {
            return;
        }

        var limits = new KeyLimits(Rpm: rpm);
        var decision = await limiter.TryAdmitAsync(caller.KeyId, limits, tokens: 0, leaseId: null);
        WriteHeadersOnStart(http.Response, decision, limits);
        if (!decision.Admitted)
        {
            throw KeyRateLimiter.Refusal(decision, limits);
        }
    }

    /// <summary>
    /// The rate-limit headers, written as the response starts: a refusal's error handler clears the response's headers
    /// first, so they could not be set now.
    /// </summary>
    private static void WriteHeadersOnStart(HttpResponse response, RateLimitDecision decision, KeyLimits limits) =>
        response.OnStarting(static state =>
        {
            var (answering, answered, keyLimits) = ((HttpResponse, RateLimitDecision, KeyLimits))state;
            WriteHeaders(answering.Headers, answered, keyLimits);
            return Task.CompletedTask;
        }, (response, decision, limits));

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

    /// <summary>
    /// A chat's text as <see cref="FromCharacters"/>, and each image part as <paramref name="tokensPerImage"/> (the model's
    /// catalog <c>image_input_tokens</c>); without it, the part's JSON as text, base64 and all.
    /// </summary>
    public static long FromMessages(IReadOnlyList<ChatMessage> messages, int? tokensPerImage = null)
    {
        var content = ChatContent.Of(messages);
        var characters = content.TextCharacters;
        foreach (var message in messages)
        {
            characters += message.Content?.Length ?? 0;
            if (message.ToolCalls is { } calls)
            {
                foreach (var call in calls)
                {
                    characters += call.Name.Length + call.Arguments.Length;
                }
            }
        }

        return tokensPerImage is { } perImage
            ? FromCharacters(characters) + (content.Images * (long)perImage)
            : FromCharacters(characters + content.ImageBytes);
    }
}

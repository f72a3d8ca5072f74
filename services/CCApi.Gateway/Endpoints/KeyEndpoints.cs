using CCApi.Gateway.Accounts;
using StackExchange.Redis;

namespace CCApi.Gateway.Endpoints;

/// <summary>
/// GET /v1/key: the caller's own key record (balance, limits, models), read fresh from Redis; for a key with limits also
/// what remains of them (<c>remaining</c>, and the <c>x-ratelimit-*</c> headers), without charging anything.
/// </summary>
public static class KeyEndpoints
{
    public static IEndpointRouteBuilder MapKeyEndpoints(this IEndpointRouteBuilder app) =>
        app.MapApiRoutes("Keys", group =>
        {
            group.MapGet("/key", GetOwnKey).Produces<ErrorResponse>(StatusCodes.Status401Unauthorized).Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);
        });

    public static async Task<Ok<ApiKeyView>> GetOwnKey(HttpContext http, ApiKeyRepository keys, KeyRateLimiter limiter)
    {
        var caller = http.GetCaller();
        ApiKeyRecord? record;
        try
        {
            record = await keys.GetAsync(caller.KeyId);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw ApiKeyRepository.Unavailable();
        }

        var view = ApiKeyView.From(record ?? throw ApiException.Unauthorized());
        var limits = record.Limits;
        if (limits.IsEmpty)
        {
            return TypedResults.Ok(view);
        }

        var (status, inFlight, asyncJobs) = await limiter.PeekAsync(record.Id, limits);
        ModelAdmission.WriteHeaders(http.Response.Headers, status, limits);
        return TypedResults.Ok(view with
        {
            Remaining = new RemainingLimitsView(
                limits.Rpm is null ? null : status.RemainingRequests,
                limits.Tpm is null ? null : status.RemainingTokens,
                limits.Concurrency is { } concurrency ? Math.Max(0, concurrency - inFlight) : null,
                limits.AsyncJobs is { } asyncLimit ? Math.Max(0, asyncLimit - asyncJobs) : null),
        });
    }
}

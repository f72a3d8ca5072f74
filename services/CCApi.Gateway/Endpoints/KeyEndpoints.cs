using CCApi.Gateway.Accounts;
using CCApi.Gateway.Auth;
using CCApi.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using StackExchange.Redis;

namespace CCApi.Gateway.Endpoints;

/// <summary>GET /v1/key: the caller's own key record (balance, limits, models), read fresh from Redis.</summary>
public static class KeyEndpoints
{
    public static IEndpointRouteBuilder MapKeyEndpoints(this IEndpointRouteBuilder app)
    {
        foreach (var group in app.MapApiGroups("Keys"))
        {
            group.MapGet("/key", GetOwnKey).Produces<ErrorResponse>(StatusCodes.Status401Unauthorized);
        }

        return app;
    }

    public static async Task<Ok<ApiKeyView>> GetOwnKey(HttpContext http, ApiKeyRepository keys)
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

        return TypedResults.Ok(ApiKeyView.From(record ?? throw ApiException.Unauthorized()));
    }
}

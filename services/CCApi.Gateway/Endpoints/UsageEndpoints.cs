using CCApi.Gateway.Accounts;
using Microsoft.AspNetCore.Mvc;
using StackExchange.Redis;

namespace CCApi.Gateway.Endpoints;

/// <summary>
/// GET /v1/usage (a client key's own spend, by day or model) and GET /admin/v1/usage (any key or all, by day, model or
/// key): requests, tokens, images, characters and cost_usd of the settled jobs in [from, to] (unix seconds; default the
/// last 30 days), from the keys' ledgers.
/// </summary>
public static class UsageEndpoints
{
    private static readonly string[] ClientGroups = ["day", "model"];
    private static readonly string[] AdminGroups = ["day", "model", "key"];

    public static IEndpointRouteBuilder MapUsageEndpoints(this IEndpointRouteBuilder app) =>
        app.MapApiRoutes("Usage", group =>
        {
            group.MapGet("/usage", GetOwnUsage)
                .Produces<UsageReport>()
                .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
                .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized)
                .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);
        });

    /// <summary>Mapped by <see cref="AdminEndpoints"/> into its group (admin key, off without one).</summary>
    public static RouteHandlerBuilder MapAdminUsage(this RouteGroupBuilder admin) =>
        admin.MapGet("/usage", GetUsage)
            .Produces<UsageReport>()
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);

    public static async Task<Ok<UsageReport>> GetOwnUsage(
        HttpContext http, string? from, string? to, [FromQuery(Name = "group_by")] string? groupBy, UsageReader usage, TimeProvider time)
    {
        var query = UsageQuery.Parse(from, to, groupBy, ClientGroups, time.GetUtcNow().ToUnixTimeSeconds());
        return TypedResults.Ok(await ReadAsync(usage, [http.GetCaller().KeyId], query));
    }

    public static async Task<Ok<UsageReport>> GetUsage(
        [FromQuery(Name = "key_id")] string? keyId, string? from, string? to, [FromQuery(Name = "group_by")] string? groupBy, UsageReader usage, ApiKeyRepository keys, TimeProvider time)
    {
        var query = UsageQuery.Parse(from, to, groupBy, AdminGroups, time.GetUtcNow().ToUnixTimeSeconds());
        IReadOnlyList<string> ids;
        if (keyId is not null)
        {
            if (!ApiKeyRepository.IsKeyId(keyId))
            {
                throw ApiException.BadField("key_id", $"'key_id' must be a key id (key_ followed by 16 hex digits); got '{Api.Validation.Truncate(keyId)}'.");
            }

            if (await keys.GetAsync(keyId) is null)
            {
                throw ApiException.NotFound($"No API key '{keyId}'.");
            }

            ids = [keyId];
        }
        else
        {
            ids = await Guard(usage.AllKeyIdsAsync);
        }

        return TypedResults.Ok(await ReadAsync(usage, ids, query));
    }

    private static Task<UsageReport> ReadAsync(UsageReader usage, IReadOnlyList<string> ids, UsageQuery query) => Guard(() => usage.ReadAsync(ids, query));

    private static async Task<T> Guard<T>(Func<Task<T>> read)
    {
        try
        {
            return await read();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw ApiKeyRepository.Unavailable();
        }
    }
}

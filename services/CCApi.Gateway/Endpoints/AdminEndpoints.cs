using CCApi.Gateway.Accounts;

namespace CCApi.Gateway.Endpoints;

/// <summary>
/// The operators' API under /admin/v1, behind <see cref="AuthOptions.AdminApiKey"/>: create, list, read, change and
/// revoke client keys, change their credits and read their ledger. Without an admin key it is not mapped at all (404).
/// </summary>
public static partial class AdminEndpoints
{
    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        var logger = app.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AdminEndpoints).FullName!);
        if (string.IsNullOrEmpty(app.ServiceProvider.GetRequiredService<IOptions<AuthOptions>>().Value.AdminApiKey))
        {
            LogAdminOff(logger);
            return app;
        }

        var group = app.MapGroup("/admin/v1").WithTags("Admin").WithEndpointFilter<AdminKeyEndpointFilter>();
        group.MapPost("/keys", CreateKey).Accepts<AdminRequestBody>("application/json").Produces<ApiKeyView>(StatusCodes.Status201Created).Errors(400);
        group.MapGet("/keys", ListKeys).Errors(400);
        group.MapGet("/keys/{id}", GetKey).Errors(404);
        group.MapPatch("/keys/{id}", UpdateKey).Accepts<AdminRequestBody>("application/json").Errors(400, 404);
        group.MapDelete("/keys/{id}", RevokeKey).Errors(404);
        group.MapPost("/keys/{id}/credits", ChangeCredits).Accepts<AdminRequestBody>("application/json").Errors(400, 404);
        group.MapGet("/keys/{id}/ledger", ReadLedger).Errors(400, 404);
        group.MapAdminUsage();                         // GET /admin/v1/usage (UsageEndpoints)
        LogAdminOn(logger);
        return app;
    }

    /// <summary>No ApiKeyChanged: no replica can hold a brand-new key, and the secret must not be lost to a bus failure.</summary>
    public static async Task<Created<ApiKeyView>> CreateKey(
        HttpContext http, JsonBody json, ApiKeyRepository keys, TimeProvider time, CancellationToken cancellationToken)
    {
        var body = await json.ReadAsync(http.Request, AccountsJsonContext.Default.AdminRequestBody, cancellationToken);
        var spec = KeyRequests.ParseCreate(body, time.GetUtcNow().ToUnixTimeSeconds());
        var (record, secret) = await keys.CreateAsync(spec);
        return TypedResults.Created($"/admin/v1/keys/{record.Id}", ApiKeyView.From(record, secret));
    }

    public static async Task<Ok<ListPage<ApiKeyView>>> ListKeys(string? limit, string? after, ApiKeyRepository keys)
    {
        var (records, hasMore) = await keys.ListAsync(KeyRequests.PageSize(limit), after);
        return TypedResults.Ok(new ListPage<ApiKeyView>([.. records.Select(r => ApiKeyView.From(r))], hasMore));
    }

    public static async Task<Ok<ApiKeyView>> GetKey(string id, ApiKeyRepository keys) =>
        TypedResults.Ok(ApiKeyView.From(await keys.GetAsync(id) ?? throw UnknownKey(id)));

    public static async Task<Ok<ApiKeyView>> UpdateKey(
        string id, HttpContext http, JsonBody json, ApiKeyRepository keys, KeyChanges changes, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!ApiKeyRepository.IsKeyId(id))
        {
            throw UnknownKey(id);
        }

        var body = await json.ReadAsync(http.Request, AccountsJsonContext.Default.AdminRequestBody, cancellationToken);
        var patch = KeyRequests.ParsePatch(body, time.GetUtcNow().ToUnixTimeSeconds());
        var record = await keys.UpdateAsync(id, patch) ?? throw UnknownKey(id);
        await changes.PublishAsync(id, "updated", cancellationToken);
        return TypedResults.Ok(ApiKeyView.From(record));
    }

    public static async Task<Ok<ApiKeyView>> RevokeKey(string id, ApiKeyRepository keys, KeyChanges changes, CancellationToken cancellationToken)
    {
        var record = await keys.RevokeAsync(id) ?? throw UnknownKey(id);
        await changes.PublishAsync(id, "revoked", cancellationToken);
        return TypedResults.Ok(ApiKeyView.From(record));
    }

    /// <summary>
    /// No ApiKeyChanged: replicas cache no balance (it is read and reserved in Redis), and a credit change is not
    /// idempotent, so it must never answer 503 after it was applied.
    /// </summary>
    public static async Task<Ok<ApiKeyView>> ChangeCredits(
        string id, HttpContext http, JsonBody json, ApiKeyRepository keys, CancellationToken cancellationToken)
    {
        if (!ApiKeyRepository.IsKeyId(id))
        {
            throw UnknownKey(id);
        }

        var body = await json.ReadAsync(http.Request, AccountsJsonContext.Default.AdminRequestBody, cancellationToken);
        var change = KeyRequests.ParseCredits(body);
        var (outcome, balance) = await keys.AdjustCreditsAsync(id, change, ApiKeyRepository.AdminActor);
        switch (outcome)
        {
            case CreditOutcome.NoSuchKey:
                throw UnknownKey(id);
            case CreditOutcome.Unlimited:
                throw ApiException.BadField("amount_usd", "This key has unlimited credits (credits_usd: null); there is no balance to change.", GatewayErrorCodes.UnlimitedCredits);
            case CreditOutcome.WouldGoNegative:
                throw ApiException.BadField("amount_usd",
                    $"'amount_usd' would take the balance ({Money.ToUsd(balance)} USD) below zero.", GatewayErrorCodes.InsufficientBalance);
            case CreditOutcome.WouldExceedMaximum:
                throw ApiException.BadField("amount_usd", $"'amount_usd' would take the balance above {Money.MaxUsd} USD.");
        }

        return TypedResults.Ok(ApiKeyView.From(await keys.GetAsync(id) ?? throw UnknownKey(id)));
    }

    public static async Task<Ok<ListPage<LedgerEntryView>>> ReadLedger(string id, string? limit, string? after, ApiKeyRepository keys)
    {
        var size = KeyRequests.PageSize(limit);
        var (entries, hasMore) = await keys.LedgerAsync(id, size, after) ?? throw UnknownKey(id);
        return TypedResults.Ok(new ListPage<LedgerEntryView>(entries, hasMore));
    }

    /// <summary>Documents the error object for <paramref name="statuses"/>, and for 401 and 503, which every admin route can answer.</summary>
    private static RouteHandlerBuilder Errors(this RouteHandlerBuilder route, params int[] statuses)
    {
        foreach (var status in statuses.Append(StatusCodes.Status401Unauthorized).Append(StatusCodes.Status503ServiceUnavailable))
        {
            route.Produces<ErrorResponse>(status);
        }

        return route;
    }

    private static ApiException UnknownKey(string id) =>
        ApiException.NotFound($"No API key with id '{(id.Length <= 64 ? id : id[..64] + "…")}'.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Admin API is off: set Auth__AdminApiKey (at least 32 characters) to serve /admin/v1")]
    private static partial void LogAdminOff(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Admin API is on at /admin/v1")]
    private static partial void LogAdminOn(ILogger logger);
}

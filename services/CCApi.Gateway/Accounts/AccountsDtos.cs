using System.Text.Json;
using System.Text.Json.Serialization;

namespace CCApi.Gateway.Accounts;

/// <summary>
/// A key as the admin API and GET /v1/key show it. Nullable members are written as null on purpose
/// (<c>credits_usd: null</c> means unlimited). <c>key</c> (the secret) appears only in the answer to its creation.
/// </summary>
public sealed record ApiKeyView(
    string Id,
    string Name,
    string Prefix,
    long Created,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? LastUsed,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? ExpiresAt,
    bool Revoked,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] decimal? CreditsUsd,
    decimal ReservedUsd,
    decimal SpentUsd,
    LimitsView Limits,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] IReadOnlyList<string>? Models,
    bool AllowUnpriced,
    string? Key = null,
    RemainingLimitsView? Remaining = null)
{
    [JsonPropertyOrder(-1)]
    public string Object => "api_key";

    public static ApiKeyView From(ApiKeyRecord r, string? secret = null) => new(
        r.Id,
        r.Name,
        r.Prefix,
        r.Created,
        r.LastUsed,
        r.ExpiresAt,
        r.Revoked,
        r.CreditsNanos is { } credits ? Money.ToUsd(credits) : null,
        Money.ToUsd(r.ReservedNanos),
        Money.ToUsd(r.SpentNanos),
        new LimitsView(r.Limits.Rpm, r.Limits.Tpm, r.Limits.Concurrency, r.Limits.AsyncJobs),
        r.Models,
        r.AllowUnpriced,
        secret);
}

/// <summary>
/// A key's limits; null = none. <c>async_jobs</c> (a later addition) is written only when the key has it, so the object of
/// a key without it reads as it always has.
/// </summary>
public sealed record LimitsView(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? Rpm,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? Tpm,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? Concurrency,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? AsyncJobs);

/// <summary>
/// GET /v1/key only, for a key with limits: what is left right now of each limit it has (null for the others), the same
/// figures as the <c>x-ratelimit-remaining-*</c> headers; <c>concurrency</c> = slots free, <c>async_jobs</c> = asynchronous
/// jobs it may still start while its unfinished ones run (written only when the key has that limit).
/// </summary>
public sealed record RemainingLimitsView(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? Requests,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? Tokens,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? Concurrency,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? AsyncJobs = null);

/// <summary>
/// One ledger entry: who changed the balance, when, by how much, why, and the balance after it; a <c>usage</c> entry
/// also says what it paid for (<see cref="Usage"/>), absent on a credit change.
/// </summary>
public sealed record LedgerEntryView(
    string Id,
    string KeyId,
    string Type,
    string Who,
    long Created,
    decimal AmountUsd,
    decimal BalanceAfterUsd,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Note,
    LedgerUsageView? Usage = null)
{
    [JsonPropertyOrder(-1)]
    public string Object => "ledger_entry";
}

/// <summary>
/// What a <c>usage</c> entry paid for: the job (its public id: <c>chatcmpl-…</c>, <c>img_…</c>, or the bare id of a
/// speech job), its kind, model and provider, and the counts the provider reported (named as in /v1/usage);
/// <c>priced</c> false for a model the catalog has no price for. The charge is the entry's <c>amount_usd</c>.
/// </summary>
public sealed record LedgerUsageView(
    string JobId,
    string Kind,
    string Model,
    string Provider,
    long InputTokens,
    long InputCachedTokens,
    long OutputTokens,
    long Images,
    long Characters,
    bool Priced);

/// <summary>A page of a newest-first list; <c>after</c> = the last id of this page fetches the next one.</summary>
public sealed record ListPage<T>(IReadOnlyList<T> Data, bool HasMore)
{
    [JsonPropertyOrder(-1)]
    public string Object => "list";
}

/// <summary>An admin request body: every member kept as raw JSON, so each field is checked (and named) by hand.</summary>
public sealed class AdminRequestBody
{
    [JsonExtensionData]
    public Dictionary<string, JsonElement> Fields { get; set; } = [];
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowDuplicateProperties = false)]
[JsonSerializable(typeof(ApiKeyView))]
[JsonSerializable(typeof(ListPage<ApiKeyView>))]
[JsonSerializable(typeof(ListPage<LedgerEntryView>))]
[JsonSerializable(typeof(AdminRequestBody))]
[JsonSerializable(typeof(List<string>))]
public sealed partial class AccountsJsonContext : JsonSerializerContext;

using System.Text.Json;
using StackExchange.Redis;

namespace CCApi.Gateway.Accounts;

/// <summary>What POST /admin/v1/keys asks for, checked.</summary>
public sealed record NewKeySpec(string Name, long? CreditsNanos, KeyLimits Limits, IReadOnlyList<string>? Models, long? ExpiresAt, bool AllowUnpriced);

/// <summary>What a PATCH changes: hash fields to set and fields to remove (a member sent as null clears it).</summary>
public sealed record KeyPatch(IReadOnlyList<HashEntry> Set, IReadOnlyList<RedisValue> Remove);

/// <summary>A credit change: positive adds, negative removes (never below zero).</summary>
public sealed record CreditChange(long AmountNanos, string? Note);

/// <summary>
/// Reads admin request bodies member by member, so every bad value is a 400 naming its field and nothing a client sends
/// can reach a 500: unknown members, wrong JSON types, numbers out of range, past expiry times and malformed globs.
/// </summary>
public static class KeyRequests
{
    public const int MaxNameLength = 100;
    public const int MaxNoteLength = 500;
    public const int MaxRpm = 1_000_000_000;
    public const long MaxTpm = 1_000_000_000_000;
    public const int MaxConcurrency = 1_000_000;
    public const int MaxAsyncJobs = 1_000_000;

    /// <summary>The latest expiry accepted: 9999-12-31T23:59:59Z.</summary>
    public const long MaxUnixSeconds = 253_402_300_799;

    private static readonly string[] CreateFields = ["name", "credits_usd", "limits", "models", "expires_at", "allow_unpriced"];
    private static readonly string[] PatchFields = ["name", "limits", "models", "expires_at", "allow_unpriced"];
    private static readonly string[] CreditFields = ["amount_usd", "note"];
    private static readonly string[] LimitFields = ["rpm", "tpm", "concurrency", "async_jobs"];

    public static NewKeySpec ParseCreate(AdminRequestBody body, long now)
    {
        var fields = body.Fields;
        OnlyKnown(fields, CreateFields, "");
        var limits = KeyLimits.None;
        if (Present(fields, "limits") is { } limitsElement)
        {
            var (rpm, tpm, concurrency, asyncJobs) = ParseLimits(limitsElement);
            limits = new KeyLimits(rpm.Value, tpm.Value, concurrency.Value, asyncJobs.Value);
        }

        return new NewKeySpec(
            Name: Present(fields, "name") is { } name ? Name(name) : "",
            CreditsNanos: Present(fields, "credits_usd") is { } credits ? Money.ToNanos(Usd(credits, "credits_usd", 0m, Money.MaxUsd)) : null,
            Limits: limits,
            Models: Present(fields, "models") is { } models ? Models(models) : null,
            ExpiresAt: Present(fields, "expires_at") is { } expires ? ExpiresAt(expires, now) : null,
            AllowUnpriced: Present(fields, "allow_unpriced") is not { } allow || Bool(allow, "allow_unpriced"));
    }

    public static KeyPatch ParsePatch(AdminRequestBody body, long now)
    {
        var fields = body.Fields;
        if (fields.ContainsKey("credits_usd"))
        {
            throw ApiException.BadField("credits_usd", "'credits_usd' cannot be patched; change the balance with POST /admin/v1/keys/{id}/credits, which records it in the ledger.");
        }

        OnlyKnown(fields, PatchFields, "");
        var set = new List<HashEntry>();
        var remove = new List<RedisValue>();
        void Apply(string field, RedisValue value)
        {
            if (value.IsNull)
            {
                remove.Add(field);
            }
            else
            {
                set.Add(new HashEntry(field, value));
            }
        }

        if (fields.TryGetValue("name", out var name))
        {
            Apply(ApiKeyFields.Name, name.ValueKind == JsonValueKind.Null ? "" : Name(name));
        }

        if (fields.TryGetValue("limits", out var limits))
        {
            var (rpm, tpm, concurrency, asyncJobs) = limits.ValueKind == JsonValueKind.Null
                ? (new Optional<int>(true, null), new Optional<long>(true, null), new Optional<int>(true, null), new Optional<int>(true, null))
                : ParseLimits(limits);
            if (rpm.Sent)
            {
                Apply(ApiKeyFields.Rpm, rpm.Value is { } r ? r : RedisValue.Null);
            }

            if (tpm.Sent)
            {
                Apply(ApiKeyFields.Tpm, tpm.Value is { } t ? t : RedisValue.Null);
            }

            if (concurrency.Sent)
            {
                Apply(ApiKeyFields.Concurrency, concurrency.Value is { } c ? c : RedisValue.Null);
            }

            if (asyncJobs.Sent)
            {
                Apply(ApiKeyFields.AsyncJobs, asyncJobs.Value is { } a ? a : RedisValue.Null);
            }
        }

        if (fields.TryGetValue("models", out var models))
        {
            Apply(ApiKeyFields.Models, models.ValueKind == JsonValueKind.Null
                ? RedisValue.Null
                : JsonSerializer.Serialize(Models(models), AccountsJsonContext.Default.ListString));
        }

        if (fields.TryGetValue("expires_at", out var expires))
        {
            Apply(ApiKeyFields.ExpiresAt, expires.ValueKind == JsonValueKind.Null ? RedisValue.Null : ExpiresAt(expires, now));
        }

        if (fields.TryGetValue("allow_unpriced", out var allow))
        {
            Apply(ApiKeyFields.AllowUnpriced, Bool(allow, "allow_unpriced") ? 1 : 0);
        }

        return new KeyPatch(set, remove);
    }

    public static CreditChange ParseCredits(AdminRequestBody body)
    {
        var fields = body.Fields;
        OnlyKnown(fields, CreditFields, "");
        var amount = Present(fields, "amount_usd") ?? throw ApiException.Missing("amount_usd");
        var nanos = Money.ToNanos(Usd(amount, "amount_usd", -Money.MaxUsd, Money.MaxUsd));
        if (nanos == 0)
        {
            throw ApiException.BadField("amount_usd", "'amount_usd' must not be zero (the smallest change is 0.000000001).");
        }

        string? note = null;
        if (Present(fields, "note") is { } noteElement)
        {
            note = Text(noteElement, "note", MaxNoteLength);
        }

        return new CreditChange(nanos, note);
    }

    /// <summary><c>limit</c> of a list query: 1..100, default 20.</summary>
    public static int PageSize(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return 20;
        }

        return int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var limit) && limit is >= 1 and <= 100
            ? limit
            : throw ApiException.BadField("limit", "'limit' must be an integer from 1 to 100.");
    }

    private static (Optional<int> Rpm, Optional<long> Tpm, Optional<int> Concurrency, Optional<int> AsyncJobs) ParseLimits(JsonElement limits)
    {
        if (limits.ValueKind != JsonValueKind.Object)
        {
            throw ApiException.BadField("limits", "'limits' must be an object like {\"rpm\": 600, \"tpm\": 200000, \"concurrency\": 20, \"async_jobs\": 100}, or null.");
        }

        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in limits.EnumerateObject())
        {
            fields[property.Name] = property.Value;
        }

        OnlyKnown(fields, LimitFields, "limits.");
        return (
            Limit(fields, "rpm", MaxRpm, v => (int)v),
            Limit(fields, "tpm", MaxTpm, v => v),
            Limit(fields, "concurrency", MaxConcurrency, v => (int)v),
            Limit(fields, "async_jobs", MaxAsyncJobs, v => (int)v));
    }

    private static Optional<T> Limit<T>(Dictionary<string, JsonElement> fields, string name, long max, Func<long, T> convert)
        where T : struct
    {
        if (!fields.TryGetValue(name, out var element))
        {
            return default;
        }

        return element.ValueKind == JsonValueKind.Null
            ? new Optional<T>(true, null)
            : new Optional<T>(true, convert(Integer(element, "limits." + name, 1, max)));
    }

    private static void OnlyKnown(Dictionary<string, JsonElement> fields, string[] known, string prefix)
    {
        foreach (var name in fields.Keys)
        {
            if (!known.Contains(name, StringComparer.Ordinal))
            {
                var field = prefix + Truncate(name);
                throw ApiException.BadField(field, $"Unknown field '{field}'. Allowed: {string.Join(", ", known)}.", ErrorCodes.UnsupportedParameter);
            }
        }
    }

    /// <summary>The member's value, or null when it is absent or JSON null.</summary>
    private static JsonElement? Present(Dictionary<string, JsonElement> fields, string name) =>
        fields.TryGetValue(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static string Name(JsonElement element) => Text(element, "name", MaxNameLength);

    private static string Text(JsonElement element, string field, int maxLength)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            throw ApiException.BadField(field, $"'{field}' must be a string.");
        }

        var text = element.GetString()!;
        if (text.Length > maxLength)
        {
            throw ApiException.BadField(field, $"'{field}' must have at most {maxLength} characters.");
        }

        if (text.Any(char.IsControl))
        {
            throw ApiException.BadField(field, $"'{field}' must not contain control characters.");
        }

        return text;
    }

    private static decimal Usd(JsonElement element, string field, decimal min, decimal max)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetDecimal(out var value) || value < min || value > max)
        {
            throw ApiException.BadField(field, min < 0
                ? $"'{field}' must be a number of USD between {min} and {max}."
                : $"'{field}' must be a number of USD from {min} to {max} (or null for unlimited).");
        }

        if (DecimalPlaces(element.GetRawText()) > 9)
        {
            // Balances are kept in nano-dollars: a finer amount would be rounded silently (0.0000000001 made a key with
            // no credits, while the same top-up was refused as zero). Counted on the JSON text, not on the decimal it
            // reads as: that keeps 28 digits, so 1e-29 read as 0 and 0.50000000000000000000000000001 as 0.5.
            throw ApiException.BadField(field, $"'{field}' has more than 9 decimal places; the smallest unit is 0.000000001 USD.");
        }

        return value;
    }

    /// <summary>
    /// The decimal places a JSON number's text needs (trailing zeros do not count; an exponent does): "1.50" → 1,
    /// "1e-9" → 9, "123e-2" → 2, "1.5e3" → 0.
    /// </summary>
    internal static int DecimalPlaces(string number)
    {
        var e = number.IndexOfAny(['e', 'E']);
        var exponent = e < 0 ? 0 : int.TryParse(number.AsSpan(e + 1), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var x) ? x : int.MinValue / 2;
        var mantissa = (e < 0 ? number : number[..e]).TrimStart('-');
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var digits = (dot < 0 ? mantissa : mantissa.Remove(dot, 1)).TrimEnd('0');
        if (digits.TrimStart('0').Length == 0)
        {
            return 0; // zero, however it is written
        }

        var fraction = dot < 0 ? 0 : mantissa.Length - dot - 1;
        var trimmed = (dot < 0 ? mantissa.Length : mantissa.Length - 1) - digits.Length;
        return (int)Math.Max(0L, (long)fraction - trimmed - exponent);
    }

    private static long Integer(JsonElement element, string field, long min, long max)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var value) || value < min || value > max)
        {
            throw ApiException.BadField(field, $"'{field}' must be an integer from {min} to {max}, or null.");
        }

        return value;
    }

    private static bool Bool(JsonElement element, string field) => element.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw ApiException.BadField(field, $"'{field}' must be true or false."),
    };

    private static long ExpiresAt(JsonElement element, long now)
    {
        var value = Integer(element, "expires_at", 0, MaxUnixSeconds);
        if (value <= now)
        {
            throw ApiException.BadField("expires_at", $"'expires_at' must be in the future (unix seconds; now is {now}).");
        }

        return value;
    }

    private static List<string> Models(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw ApiException.BadField("models", "'models' must be an array of model ids or globs such as \"openai/*\", or null for every model.");
        }

        var count = element.GetArrayLength();
        if (count is 0 or > ModelAllowList.MaxPatterns)
        {
            throw ApiException.BadField("models", $"'models' must list 1 to {ModelAllowList.MaxPatterns} patterns; leave it out (or null) to allow every model.");
        }

        var patterns = new List<string>(count);
        var i = 0;
        foreach (var item in element.EnumerateArray())
        {
            var field = $"models[{i++}]";
            if (item.ValueKind != JsonValueKind.String)
            {
                throw ApiException.BadField(field, $"'{field}' must be a string.");
            }

            var pattern = item.GetString()!;
            if (ModelAllowList.Check(pattern) is { } error)
            {
                throw ApiException.BadField(field, $"'{field}' is not a model pattern: {error}.");
            }

            patterns.Add(pattern);
        }

        return patterns;
    }

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";

    private readonly record struct Optional<T>(bool Sent, T? Value)
        where T : struct;
}

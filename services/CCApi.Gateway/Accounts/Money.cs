namespace CCApi.Gateway.Accounts;

/// <summary>
/// Money is decimal USD at the API and whole nano-dollars (1e-9 USD, <c>long</c>) in Redis, so that Lua scripts can
/// add and compare balances atomically with exact integer arithmetic (HINCRBY). Per-token prices are far above 1e-9 USD,
/// and balances are capped at <see cref="MaxUsd"/> so no sum overflows 64 bits.
/// </summary>
public static class Money
{
    public const long NanosPerUsd = 1_000_000_000;

    /// <summary>Largest balance or single credit change a key accepts.</summary>
    public const decimal MaxUsd = 1_000_000_000m;

    /// <summary>USD → nano-dollars, rounded half away from zero (callers have checked the range).</summary>
    public static long ToNanos(decimal usd) => (long)decimal.Round(usd * NanosPerUsd, 0, MidpointRounding.AwayFromZero);

    /// <summary>Nano-dollars → USD with no trailing zeros (25 rather than 25.000000000).</summary>
    public static decimal ToUsd(long nanos) => nanos / (decimal)NanosPerUsd / 1.000000000000000000000000000m;
}

using CCApi.Gateway.Accounts;

namespace CCApi.Gateway.Tests;

public sealed class AccountsUnitTests
{
    [Theory]
    [InlineData("openai/*", "openai/gpt-4o-mini", true)]
    [InlineData("openai/*", "OpenAI/whatever-passes-through", true)]
    [InlineData("openai/*", "openai-compatible/x", false)]
    [InlineData("openai/gpt-4o*", "openai/gpt-4o-mini", true)]
    [InlineData("openai/gpt-4o*", "openai/gpt-3.5", false)]
    [InlineData("local/echo-1", "local/echo-1", true)]
    [InlineData("local/echo-1", "local/echo-10", false)]
    [InlineData("*", "stabilityai/anything", true)]
    public void Matches_model_ids_against_exact_ids_and_trailing_globs(string pattern, string model, bool allowed) =>
        ModelAllowList.TryCreate([pattern], out _)!.Allows(model).ShouldBe(allowed);

    [Theory]
    [InlineData("")]
    [InlineData("openai")]
    [InlineData("openai/")]
    [InlineData("/gpt")]
    [InlineData("*/gpt")]
    [InlineData("open*/gpt")]
    [InlineData("openai/**")]
    [InlineData("openai/g*t")]
    [InlineData("open ai/*")]
    [InlineData("openai/gpt\n")]
    public void Refuses_malformed_patterns(string pattern) =>
        ModelAllowList.Check(pattern).ShouldNotBeNull();

    [Fact]
    public void A_stored_list_that_no_longer_parses_allows_nothing() =>
        ModelAllowList.FromStored(["not a pattern"]).Allows("local/echo-1").ShouldBeFalse();

    [Theory]
    [InlineData("25", 25_000_000_000L)]
    [InlineData("0.000000001", 1L)]
    [InlineData("0.0000000015", 2L)]
    [InlineData("-1.5", -1_500_000_000L)]
    [InlineData("1000000000", 1_000_000_000_000_000_000L)]
    public void Converts_USD_to_whole_nano_dollars_and_back(string usd, long nanos)
    {
        var value = decimal.Parse(usd, System.Globalization.CultureInfo.InvariantCulture);

        Money.ToNanos(value).ShouldBe(nanos);
        Money.ToUsd(nanos).ShouldBe(decimal.Round(value, 9, MidpointRounding.AwayFromZero));
    }

    [Fact]
    public void Writes_balances_without_trailing_zeros() =>
        Money.ToUsd(25_000_000_000L).ToString(System.Globalization.CultureInfo.InvariantCulture).ShouldBe("25");
}

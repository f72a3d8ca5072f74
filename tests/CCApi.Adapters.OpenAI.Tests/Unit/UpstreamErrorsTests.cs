using CCApi.Adapters.Hosting;

namespace CCApi.Adapters.OpenAI.Tests.Unit;

public sealed class UpstreamErrorsTests
{
    private static readonly UpstreamErrorBody Said = new("Invalid 'size'.", "invalid_request_error", "bad_size", "size");

    [Theory]
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(422)]
    public void Maps_a_client_error_to_400_keeping_the_providers_message_and_param(int status)
    {
        var error = UpstreamErrors.FromStatus("openai", status, Said);

        error.Status.ShouldBe(400);
        error.Type.ShouldBe("invalid_request_error");
        error.Message.ShouldContain("Invalid 'size'.");
        error.Details!["param"].ShouldBe("size");
        error.Details["provider_code"].ShouldBe("bad_size");
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public void Maps_refused_credentials_to_502_provider_auth_failed_that_blames_the_platform_not_the_client(int status)
    {
        var error = UpstreamErrors.FromStatus("openai", status, new UpstreamErrorBody("Incorrect API key provided: sk-ab*****wxyz"));

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_auth_failed");
        error.Message.ShouldContain("platform's credentials");
        error.Message.ShouldNotContain("sk-ab"); // the provider's message may echo the key: never relayed
    }

    [Fact]
    public void Maps_429_to_429_with_the_retry_after_rounded_up_to_seconds()
    {
        var error = UpstreamErrors.FromStatus("openai", 429, new UpstreamErrorBody("Rate limit reached"), TimeSpan.FromMilliseconds(1500));

        error.Status.ShouldBe(429);
        error.Type.ShouldBe("rate_limit_error");
        error.Code.ShouldBe("rate_limit_exceeded");
        error.Details!["retry_after"].ShouldBe("2");
        error.Message.ShouldContain("Retry after 2 s.");
    }

    [Theory]
    [InlineData(500, 502, "provider_error")]
    [InlineData(502, 502, "provider_error")]
    [InlineData(503, 502, "provider_error")]
    [InlineData(504, 504, "provider_timeout")]
    [InlineData(408, 504, "provider_timeout")]
    public void Maps_server_errors_and_upstream_timeouts(int upstream, int status, string code)
    {
        var error = UpstreamErrors.FromStatus("openai", upstream, null);

        error.Status.ShouldBe(status);
        error.Code.ShouldBe(code);
        error.Details!["upstream_status"].ShouldBe(upstream.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("""{"error":{"message":"m","type":"t","param":"p","code":"c"}}""", "m", "c", "p")]
    [InlineData("""{"error":{"message":"m","type":"t","param":null,"code":null}}""", "m", null, null)]
    [InlineData("""{"error":"plain"}""", "plain", null, null)]
    [InlineData("""{"message":"msg","code":42}""", "msg", "42", null)]
    [InlineData("""{"detail":"d"}""", "d", null, null)]
    public void Reads_the_common_error_body_shapes(string body, string message, string? code, string? param)
    {
        var parsed = UpstreamErrorBody.Parse(body).ShouldNotBeNull();

        parsed.Message.ShouldBe(message);
        parsed.Code.ShouldBe(code);
        parsed.Param.ShouldBe(param);
    }

    [Theory]
    [InlineData("")]
    [InlineData("<html>Bad gateway</html>")]
    [InlineData("[1,2]")]
    [InlineData("{\"unrelated\":true}")]
    public void Reads_no_message_from_bodies_of_another_shape(string body) => UpstreamErrorBody.Parse(body).ShouldBeNull();

    [Fact]
    public void Prices_tokens_images_and_characters_from_the_route()
    {
        var route = new CCApi.Contracts.JobRoute
        {
            OwnerId = "o", Provider = "openai", Model = "openai/m", ProviderModel = "m",
            Pricing = new CCApi.Contracts.ModelPricing { InputPerMillion = 2.5m, OutputPerMillion = 10m, PerImage = 0.04m, PerCharacter = 0.000015m, Currency = "EUR" },
        };

        var usage = UsagePricing.Price(route, promptTokens: 1_000_000, completionTokens: 500_000, images: 2, characters: 1000);

        usage.Cost.ShouldBe(2.5m + 5m + 0.08m + 0.015m);
        usage.TotalTokens.ShouldBe(1_500_000);
        usage.Currency.ShouldBe("EUR");
    }

    [Fact]
    public void Prices_usage_at_zero_when_the_route_carries_no_price()
    {
        var route = new CCApi.Contracts.JobRoute { OwnerId = "o", Provider = "openai", Model = "openai/m", ProviderModel = "m" };

        UsagePricing.Price(route, promptTokens: 10, completionTokens: 10).Cost.ShouldBe(0m);
    }
}

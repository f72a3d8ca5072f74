using Microsoft.Extensions.Options;

namespace CCApi.Gateway.Tests;

/// <summary>A misconfigured gateway fails at boot, not on its first request.</summary>
public sealed class StartupTests
{
    [Theory]
    [InlineData("Services:CatalogUrl", "not a url", "CatalogUrl")]
    [InlineData("Services:CatalogUrl", "ftp://catalog.internal", "CatalogUrl")]
    [InlineData("Services:JobStatusUrl", "", "JobStatusUrl")]
    [InlineData("Auth:BootstrapApiKey", "short", "BootstrapApiKey")]
    [InlineData("BlobUrls:SigningKey", "too-short", "SigningKey")]
    [InlineData("Gateway:MaxRequestBodyBytes", "10", "MaxRequestBodyBytes")]
    public void Refuses_to_start_with_invalid_options(string key, string value, string named)
    {
        using var factory = new ServiceFactory<Program>("gateway", new Dictionary<string, string?>
        {
            ["Services:CatalogUrl"] = "http://127.0.0.1:1",
            ["Services:JobStatusUrl"] = "http://127.0.0.1:1",
            [key] = value,
        });

        var error = factory.StartupFailure().ShouldBeOfType<OptionsValidationException>();

        error.Message.ShouldContain(named);
    }
}

using CCApi.Testing;

namespace CCApi.Adapters.Local.Tests.Integration;

[Collection(LocalAdapterCollection.Name)]
public class HostingTests(LocalAdapterHost host)
{
    [Fact]
    public async Task Is_ready_when_bus_redis_and_espeak_are_there()
    {
        using var client = host.Factory.CreateClient();

        var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();

        ((int)response.StatusCode).ShouldBe(200, body);
        body.ShouldContain("\"espeak-ng\":\"Healthy\"");
        body.ShouldContain("\"redis\":\"Healthy\"");
        body.ShouldContain("\"masstransit-bus\":\"Healthy\"");
    }

    [Fact]
    public void Refuses_to_start_with_an_invalid_provider_name()
    {
        using var factory = new ServiceFactory<Program>("local", new Dictionary<string, string?> { ["LocalAdapter:Provider"] = "Not Valid!" });

        var ex = factory.StartupFailure();

        ex.ToString().ShouldContain("LocalAdapter:Provider");
    }
}

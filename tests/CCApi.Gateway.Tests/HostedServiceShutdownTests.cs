using CCApi.Gateway.Auth;
using CCApi.Gateway.Dispatch;
using Microsoft.Extensions.Logging.Abstractions;

namespace CCApi.Gateway.Tests;

/// <summary>
/// A host can dispose its services while another caller is still stopping it (WebApplicationFactory's dispose racing the
/// application's own shutdown, seen in CI as an ObjectDisposedException from BootstrapApiKeyService.StopAsync): the
/// gateway's hosted services stop cleanly after they were disposed.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class HostedServiceShutdownTests(GatewayFixture gateway)
{
    [Fact]
    public async Task The_bootstrap_key_service_stops_after_it_was_disposed()
    {
        var service = new BootstrapApiKeyService(null!, Microsoft.Extensions.Options.Options.Create(new AuthOptions()), NullLogger<BootstrapApiKeyService>.Instance);
        await service.StartAsync(CancellationToken.None); // no bootstrap key: nothing to store

        service.Dispose();

        await Should.NotThrowAsync(() => service.StopAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_synchronous_calls_stop_after_they_were_disposed()
    {
        var calls = new SynchronousCalls(gateway.Redis, NullLogger<SynchronousCalls>.Instance);
        await calls.StartAsync(CancellationToken.None);

        calls.Dispose();

        await Should.NotThrowAsync(() => calls.StopAsync(CancellationToken.None));
    }
}

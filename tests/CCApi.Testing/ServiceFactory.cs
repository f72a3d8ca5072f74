using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace CCApi.Testing;

/// <summary>
/// Hosts one service in-process against test.sh's real RabbitMQ (in the project's virtual host) and Redis. Extra settings
/// use configuration keys ("Section:Key").
/// </summary>
public class ServiceFactory<TProgram>(string vhost, IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<TProgram>
    where TProgram : class
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureAppConfiguration(config =>
        {
            var values = new Dictionary<string, string?>
            {
                ["ConnectionStrings:RabbitMq"] = TestInfrastructure.RabbitMq(vhost),
                ["ConnectionStrings:Redis"] = TestInfrastructure.Redis,
                ["BlobUrls:SigningKey"] = TestInfrastructure.SigningKey,
                ["OutboundUrls:AllowPrivateNetworks"] = "true",
            };
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                values[key] = value;
            }

            config.AddInMemoryCollection(values);
        });
    }
}

using System.Net;
using System.Net.Sockets;

namespace CCApi.Testing;

/// <summary>
/// Where the RabbitMQ and Redis that <c>test.sh</c> started are. Each test project uses its own RabbitMQ virtual host
/// (created by test.sh), so test assemblies running side by side never consume each other's messages.
/// </summary>
public static class TestInfrastructure
{
    /// <summary>amqp://guest:guest@127.0.0.1:5673 by default (test.sh's private node).</summary>
    public static string RabbitMqBase =>
        (Environment.GetEnvironmentVariable("CCAPI_TEST_RABBITMQ") ?? "amqp://guest:guest@127.0.0.1:5673").TrimEnd('/');

    public static string Redis => Environment.GetEnvironmentVariable("CCAPI_TEST_REDIS") ?? "127.0.0.1:6380";

    /// <summary>The connection string for a test project's own virtual host: "gateway", "catalog", "jobstatus", "local", "shared", "e2e".</summary>
    public static string RabbitMq(string vhost) => $"{RabbitMqBase}/{Uri.EscapeDataString("ccapi-test-" + vhost)}";

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A signing key for blob URLs in tests.</summary>
    public const string SigningKey = "test-signing-key-0123456789abcdef0123456789abcdef";

    /// <summary>Polls until <paramref name="condition"/> holds or the timeout passes; returns whether it held.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(50));
        }

        return await condition();
    }
}

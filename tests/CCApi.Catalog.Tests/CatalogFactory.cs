using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using CCApi.Contracts;
using CCApi.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace CCApi.Catalog.Tests;

/// <summary>The Catalog service in-process on the real RabbitMQ (vhost "catalog"), with short timers.</summary>
public class CatalogFactory : ServiceFactory<Program>
{
    public CatalogFactory()
        : this(null)
    {
    }

    /// <summary>With extra settings ("Section:Key"); not for xUnit fixtures, which need the one public constructor.</summary>
    internal CatalogFactory(IReadOnlyDictionary<string, string?>? settings)
        : base("catalog", Merge(settings))
    {
    }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public IBus Bus => Services.GetRequiredService<IBus>();

    public async Task<CatalogDocument> GetCatalogAsync() =>
        (await CreateClient().GetFromJsonAsync<CatalogDocument>("/catalog", Json))!;

    public async Task<string> ProviderStatusAsync(string provider) =>
        (await GetCatalogAsync()).Providers.Single(p => p.Name == provider).Status;

    /// <summary>Collects every CatalogChanged published on the bus from now on.</summary>
    public async Task<ChannelReader<CatalogChanged>> WatchCatalogChangedAsync()
    {
        var changes = Channel.CreateUnbounded<CatalogChanged>();
        var handle = Bus.ConnectReceiveEndpoint(e => e.Handler<CatalogChanged>(context =>
        {
            changes.Writer.TryWrite(context.Message);
            return Task.CompletedTask;
        }));
        await handle.Ready;
        return changes.Reader;
    }

    private static Dictionary<string, string?> Merge(IReadOnlyDictionary<string, string?>? settings)
    {
        var values = new Dictionary<string, string?>
        {
            ["Catalog:DefinitionPath"] = TestCatalog.DefinitionPath,
            ["Catalog:HeartbeatTimeout"] = "00:00:03",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        return values;
    }
}

/// <summary>Integration tests share the vhost's heartbeat exchange; running them one class at a time keeps them apart.</summary>
[CollectionDefinition(Name)]
public sealed class CatalogBusCollection
{
    public const string Name = "catalog-bus";
}

internal static class ChannelReaderExtensions
{
    /// <summary>The next item that satisfies <paramref name="match"/>, or null when none arrives within the timeout.</summary>
    public static async Task<T?> NextAsync<T>(this ChannelReader<T> reader, Func<T, bool> match, TimeSpan timeout)
        where T : class
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await reader.WaitToReadAsync(cts.Token))
            {
                while (reader.TryRead(out var item))
                {
                    if (match(item))
                    {
                        return item;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        return null;
    }

    public static void Drain<T>(this ChannelReader<T> reader)
    {
        while (reader.TryRead(out _))
        {
        }
    }
}

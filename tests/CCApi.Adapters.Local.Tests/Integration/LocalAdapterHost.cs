using CCApi.Contracts;
using CCApi.Testing.Adapters;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace CCApi.Adapters.Local.Tests.Integration;

/// <summary>
/// The local adapter (the kit's <see cref="AdapterHost{TProgram}"/>, RabbitMQ vhost "local", provider "local"): its
/// provider is this process, so no emulator stands in for one.
/// </summary>
public sealed class LocalAdapterHost() : AdapterHost<Program>("local", "LocalAdapter", "local")
{
    /// <summary>An async image job: it publishes JobStarted and progress, so a job that must not start shows it did not.</summary>
    public override IJobCommand Job() => Support.Commands.Image("a job like any other", async: true);

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["LocalAdapter:AsyncStepDelay"] = "00:00:00.050";
        settings["LocalAdapter:HeartbeatInterval"] = "00:00:01";
    }

    public T Get<T>()
        where T : notnull => Services.GetRequiredService<T>();

    public IRequestClient<T> Client<T>(string queue)
        where T : class => Bus.CreateRequestClient<T>(new Uri($"queue:{queue}"), RequestTimeout.After(s: 60));

    /// <param name="redelivery">Delivered as a repeat of a delivery that already ran (see <see cref="AdapterHost.Redelivered"/>).</param>
    public async Task SendAsync<T>(string queue, T message, bool redelivery = false)
        where T : class
    {
        var endpoint = await Bus.GetSendEndpoint(new Uri($"queue:{queue}"));
        await endpoint.Send(message, context => MarkRedelivery(context, redelivery));
    }
}

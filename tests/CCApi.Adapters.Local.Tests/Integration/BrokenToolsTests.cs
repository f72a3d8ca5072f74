using CCApi.Contracts;
using CCApi.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using static CCApi.Adapters.Local.Tests.Support.Commands;

namespace CCApi.Adapters.Local.Tests.Integration;

/// <summary>
/// A second adapter instance under another provider name (so its queues are its own) whose mp3 encoder is missing:
/// the job must fail cleanly with 502 provider_error, not fault or hang.
/// </summary>
public sealed class BrokenToolsTests : IAsyncLifetime
{
    private const string Provider = "local-broken-tools";

    private readonly ServiceFactory<Program> _factory = new("local", new Dictionary<string, string?>
    {
        ["LocalAdapter:Provider"] = Provider,
        ["LocalAdapter:LamePath"] = "/nonexistent/lame",
    });

    [Fact]
    public async Task Responds_JobFailed_502_provider_error_when_an_encoder_is_missing()
    {
        var client = _factory.Services.GetRequiredService<IBus>()
            .CreateRequestClient<Speech>(new Uri($"queue:{Queues.For(Provider, JobKind.Speech)}"), RequestTimeout.After(s: 60));
        var command = Speech("hello", format: "mp3") with { Route = Route("espeak-1") with { Provider = Provider } };

        var response = await client.GetResponse<SpeechSynthesized, JobFailed>(command);

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Status.ShouldBe(502);
        failed.Message.Error.Code.ShouldBe("provider_error");
        failed.Message.Error.Message.ShouldContain("lame");
    }

    [Fact]
    public async Task Reports_degraded_readiness_but_stays_ready_when_only_an_encoder_is_missing()
    {
        using var client = _factory.CreateClient();

        var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();

        ((int)response.StatusCode).ShouldBe(200, body);
        body.ShouldContain("\"espeak-ng\":\"Degraded\"");
    }

    public Task InitializeAsync()
    {
        _ = _factory.Services;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();
}

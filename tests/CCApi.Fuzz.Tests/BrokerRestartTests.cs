using CCApi.Testing;
using Xunit.Abstractions;

namespace CCApi.Fuzz.Tests;

/// <summary>
/// Issue 11, "RabbitMQ restarted mid-run": the broker stopped (rabbitmqctl stop) and started again under steady traffic.
/// Requests waiting on it for their answer, and requests arriving while it is gone, get 503 service_unavailable (or 504)
/// with the error object — none waits out the gateway's 60 s request timeout, which this test's client would not
/// survive; every service reconnects by itself (no restart of any of them); every async job accepted before or after
/// ends terminal. The broker is this test's own (<see cref="RestartPlatform"/>), never the one other suites share.
/// </summary>
[Collection(RestartCollection.Name)]
public sealed class BrokerRestartTests(RestartPlatform platform, ITestOutputHelper output)
{
    [Fact]
    public async Task Requests_in_a_RabbitMQ_restart_get_a_clear_503_and_every_service_and_job_recovers_by_itself()
    {
        var traffic = new FaultTraffic(platform);

        await traffic.RunAsync(async () =>
        {
            await platform.Broker.StopAsync();
            await Task.Delay(TimeSpan.FromSeconds(3)); // the broker stays away a while: refusals, not only broken waits
            await platform.Broker.StartAsync();
            (await TestInfrastructure.EventuallyAsync(platform.AllReadyAsync, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(250)))
                .ShouldBeTrue("not every service was ready again after the broker came back\n" + platform.Logs());
        });

        output.WriteLine("RabbitMQ restart: " + traffic.Rules.Summary());
        traffic.ShouldHaveAnsweredEveryRequestClearly();
        await traffic.ShouldWorkAgainAsync();
        await traffic.ShouldEndEveryAcceptedJobAsync();
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "ccapi-fuzz-figures.txt"),
            $"{DateTimeOffset.UtcNow:O} rabbitmq-restart: {traffic.Rules.Summary()}; {traffic.AcceptedJobs.Count} async jobs accepted, all ended\n");
    }
}

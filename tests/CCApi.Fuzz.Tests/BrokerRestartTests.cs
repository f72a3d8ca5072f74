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

        // Away 3 s: refusals of new requests, not only broken waits.
        await traffic.RestartUnderTrafficAsync(platform.Broker, TimeSpan.FromSeconds(3));

        traffic.Report("rabbitmq-restart", output);
        traffic.ShouldHaveAnsweredEveryRequestClearly();
        await traffic.ShouldWorkAgainAsync();
        await traffic.ShouldEndEveryAcceptedJobAsync();
    }
}

using CCApi.Contracts;

namespace CCApi.Testing.Adapters;

/// <summary>Every upstream adapter without an API key: it still runs, reports "unavailable" and fails every job with 503 at once.</summary>
public abstract class NoApiKeyTests<THost> : OwnHostTests<THost>
    where THost : AdapterHost, IEmulatedAdapterHost, new()
{
    [Fact]
    public async Task Answers_503_provider_unavailable_without_calling_the_provider()
    {
        var command = Host.Job();

        var error = (await Host.RunJobAsync(command)).ShouldHaveFailed();

        error.Status.ShouldBe(503);
        error.Code.ShouldBe("provider_unavailable");
        error.Message.ShouldContain("no API key");
        Host.Emulator.Requests.ShouldBeEmpty();
        Host.Recorded<JobStarted>(e => e.JobId == command.JobId).ShouldBeEmpty(); // nothing was accepted by the provider
    }

    [Fact]
    public async Task Publishes_heartbeats_saying_unavailable()
    {
        var heartbeat = (await Host.WaitForAsync<ProviderHeartbeat>(h => h.Provider == Host.Provider, seconds: 15))[0];

        heartbeat.Status.ShouldBe("unavailable");
        heartbeat.Detail.ShouldNotBeNull().ShouldContain("No API key");
    }

    protected override void Configure(Dictionary<string, string?> overrides) => overrides["ApiKey"] = "";
}

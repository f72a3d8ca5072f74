using CCApi.Adapters.ImaginePro.Tests.Support;
using CCApi.Contracts;
using CCApi.Testing.Adapters;

namespace CCApi.Adapters.ImaginePro.Tests.Integration;

/// <summary>
/// The kit's failure modes on the submission, through the bus (the job is asynchronous: it fails with the mapped CCAPI
/// error published as JobFailed, as JobStatus sees it), and a request ImaginePro rejects.
/// </summary>
public sealed class FailureModeTests(ImagineProAdapterHost host) : FailureModeTests<ImagineProAdapterHost>(host), IClassFixture<ImagineProAdapterHost>
{
    /// <summary>Submissions: the polls and the download of a job that was accepted are not retries of it.</summary>
    protected override int UpstreamCalls => Host.Emulator.Submits;

    protected override string ServerErrorMessage => "Internal server error";

    protected override void ShouldSayRateLimited(ErrorInfo error) => error.Message.ShouldContain("Too Many Requests");

    /// <summary>The refused attempts created no provider job: one generation is paid for.</summary>
    protected override void ShouldHaveRecovered(IJobResult result) => Host.Emulator.MessageIds.ShouldHaveSingleItem();

    [Fact]
    public async Task Fails_with_400_and_the_providers_message_when_it_rejects_the_request_without_retrying()
    {
        Host.Emulator.Reset();

        var error = await Host.FailedAsync(Host.Image(model: "no-such-model"));

        error.Status.ShouldBe(400);
        error.Type.ShouldBe("invalid_request_error");
        error.Message.ShouldContain("model must be one of the following values");
        error.Details!["upstream_status"].ShouldBe("400");
        Host.Emulator.Submits.ShouldBe(1);
    }
}

/// <summary>The platform's key is wrong (the kit's shared test).</summary>
public sealed class RefusedCredentialsTests : RefusedCredentialsTests<ImagineProAdapterHost>
{
    protected override string WrongKey => "imaginepro-wrong-key-0000";

    protected override string KeyFragment => "wrong-key";

    protected override void ShouldHaveSentTheKey(string key) => Host.Emulator.Requests.Single().Authorization.ShouldBe("Bearer " + key);
}

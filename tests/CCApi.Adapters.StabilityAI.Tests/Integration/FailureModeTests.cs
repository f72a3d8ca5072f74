using CCApi.Adapters.StabilityAI.Tests.Support;
using CCApi.Contracts;
using CCApi.Testing.Adapters;

namespace CCApi.Adapters.StabilityAI.Tests.Integration;

/// <summary>The kit's failure modes through the bus, in Stability's words.</summary>
public sealed class FailureModeTests(StabilityAIAdapterHost host) : FailureModeTests<StabilityAIAdapterHost>(host), IClassFixture<StabilityAIAdapterHost>
{
    protected override string ServerErrorMessage => "An unexpected server error occurred";

    protected override void ShouldSayRateLimited(ErrorInfo error) => error.Message.ShouldContain("You have exceeded the rate limit");
}

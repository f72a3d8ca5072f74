using CCApi.Adapters.StabilityAI.Tests.Support;
using CCApi.Emulators.StabilityAI;
using CCApi.Testing.Adapters;

namespace CCApi.Adapters.StabilityAI.Tests.Integration;

/// <summary>A healthy adapter announces the provider "available" (the kit's shared test).</summary>
public sealed class AvailabilityTests(StabilityAIAdapterHost host) : AvailabilityTests<StabilityAIAdapterHost>(host), IClassFixture<StabilityAIAdapterHost>;

/// <summary>No API key (the kit's shared tests).</summary>
public sealed class NoApiKeyTests : NoApiKeyTests<StabilityAIAdapterHost>;

/// <summary>The circuit breaker (the kit's shared test).</summary>
public sealed class CircuitBreakerTests : CircuitBreakerTests<StabilityAIAdapterHost>;

/// <summary>The platform's key is refused (401, the kit's shared test).</summary>
public sealed class RefusedCredentialsTests : RefusedCredentialsTests<StabilityAIAdapterHost>
{
    protected override string WrongKey => "sk-wrong-key-0000";

    protected override void ShouldHaveSentTheKey(string key) => Host.Emulator.Requests.Single().Authorization.ShouldBe("Bearer " + key);
}

/// <summary>The platform's key lacks permission (403): the same answer as a refused key.</summary>
public sealed class ForbiddenCredentialsTests : RefusedCredentialsTests<StabilityAIAdapterHost>
{
    protected override string WrongKey => StabilityAIEmulator.ForbiddenKeyPrefix + "0000";

    protected override string UpstreamStatus => "403";

    protected override void ShouldHaveSentTheKey(string key) => Host.Emulator.Requests.Single().Authorization.ShouldBe("Bearer " + key);
}

using CCApi.Adapters.ElevenLabs.Tests.Support;
using CCApi.Testing.Adapters;

namespace CCApi.Adapters.ElevenLabs.Tests.Integration;

/// <summary>A healthy adapter announces the provider "available" (the kit's shared test).</summary>
public sealed class AvailabilityTests(ElevenLabsAdapterHost host) : AvailabilityTests<ElevenLabsAdapterHost>(host), IClassFixture<ElevenLabsAdapterHost>;

/// <summary>No API key: the kit's shared tests, and a voice given by name is not even listed.</summary>
public sealed class NoApiKeyTests : NoApiKeyTests<ElevenLabsAdapterHost>
{
    [Fact]
    public async Task Answers_503_provider_unavailable_for_a_voice_name_without_calling_ElevenLabs()
    {
        var error = await Host.FailedAsync(Host.Speech(voice: "Rachel"));

        error.Status.ShouldBe(503);
        error.Code.ShouldBe("provider_unavailable");
        error.Message.ShouldContain("no API key");
        Host.Emulator.Requests.ShouldBeEmpty();
    }
}

/// <summary>The circuit breaker (the kit's shared test).</summary>
public sealed class CircuitBreakerTests : CircuitBreakerTests<ElevenLabsAdapterHost>;

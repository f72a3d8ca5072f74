using CCApi.Adapters.ImaginePro.Tests.Support;
using CCApi.Testing.Adapters;

namespace CCApi.Adapters.ImaginePro.Tests.Integration;

/// <summary>A healthy adapter announces the provider "available" (the kit's shared test).</summary>
public sealed class AvailabilityTests(ImagineProAdapterHost host) : AvailabilityTests<ImagineProAdapterHost>(host), IClassFixture<ImagineProAdapterHost>;

/// <summary>No API key (the kit's shared tests).</summary>
public sealed class NoApiKeyTests : NoApiKeyTests<ImagineProAdapterHost>;

/// <summary>The circuit breaker (the kit's shared test).</summary>
public sealed class CircuitBreakerTests : CircuitBreakerTests<ImagineProAdapterHost>;

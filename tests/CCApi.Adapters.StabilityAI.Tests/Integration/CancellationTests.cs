using CCApi.Adapters.StabilityAI.Tests.Support;
using CCApi.Testing.Adapters;

namespace CCApi.Adapters.StabilityAI.Tests.Integration;

/// <summary>The kit's shared tests: jobs nobody waits for are not started.</summary>
public sealed class CancellationTests(StabilityAIAdapterHost host) : CancellationTests<StabilityAIAdapterHost>(host), IClassFixture<StabilityAIAdapterHost>;

/// <summary>A client that goes away stops the generation it no longer waits for (the kit's shared test).</summary>
public sealed class InFlightCancellationTests : InFlightCancellationTests<StabilityAIAdapterHost>;

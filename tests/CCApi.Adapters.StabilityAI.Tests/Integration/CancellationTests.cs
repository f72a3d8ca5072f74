using CCApi.Adapters.StabilityAI.Tests.Support;
using CCApi.Testing.Adapters;

namespace CCApi.Adapters.StabilityAI.Tests.Integration;

/// <summary>The kit's shared tests: jobs nobody waits for are not started.</summary>
public sealed class CancellationTests(StabilityAIAdapterHost host) : CancellationTests<StabilityAIAdapterHost>(host), IClassFixture<StabilityAIAdapterHost>;

using CCApi.Adapters.StabilityAI.Tests.Support;
using CCApi.Testing.Adapters;

namespace CCApi.Adapters.StabilityAI.Tests.Integration;

/// <summary>The kit's shared tests: outcomes are published, a redelivered job answers with the stored images.</summary>
public sealed class RedeliveryTests(StabilityAIAdapterHost host) : RedeliveryTests<StabilityAIAdapterHost>(host), IClassFixture<StabilityAIAdapterHost>;

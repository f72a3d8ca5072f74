using CCApi.Adapters.ImaginePro.Tests.Support;
using CCApi.Testing.Adapters;

namespace CCApi.Adapters.ImaginePro.Tests.Integration;

/// <summary>The kit's shared tests: outcomes are published, a finished job redelivered answers with the stored images.</summary>
public sealed class RedeliveryTests(ImagineProAdapterHost host) : RedeliveryTests<ImagineProAdapterHost>(host), IClassFixture<ImagineProAdapterHost>;

using CCApi.Testing.Adapters;

namespace CCApi.Adapters.Local.Tests.Integration;

/// <summary>The kit's shared tests: outcomes are published, a redelivered job answers with the stored images.</summary>
[Collection(LocalAdapterCollection.Name)]
public sealed class RedeliveryTests(LocalAdapterHost host) : RedeliveryTests<LocalAdapterHost>(host);

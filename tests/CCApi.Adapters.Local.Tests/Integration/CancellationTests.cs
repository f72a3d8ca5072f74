using CCApi.Testing.Adapters;

namespace CCApi.Adapters.Local.Tests.Integration;

/// <summary>The kit's shared tests: jobs nobody waits for are not started, here too.</summary>
[Collection(LocalAdapterCollection.Name)]
public sealed class CancellationTests(LocalAdapterHost host) : CancellationTests<LocalAdapterHost>(host);

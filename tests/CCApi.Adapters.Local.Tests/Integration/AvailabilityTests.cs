using CCApi.Testing.Adapters;

namespace CCApi.Adapters.Local.Tests.Integration;

/// <summary>The kit's shared test: a healthy local adapter (espeak-ng installed) announces the provider "available".</summary>
[Collection(LocalAdapterCollection.Name)]
public sealed class AvailabilityTests(LocalAdapterHost host) : AvailabilityTests<LocalAdapterHost>(host);

using CCApi.Adapters.ElevenLabs.Tests.Support;
using CCApi.Testing.Adapters;

namespace CCApi.Adapters.ElevenLabs.Tests.Integration;

/// <summary>The kit's shared tests: outcomes are published, a redelivered job answers with the stored audio.</summary>
public sealed class RedeliveryTests(ElevenLabsAdapterHost host) : RedeliveryTests<ElevenLabsAdapterHost>(host), IClassFixture<ElevenLabsAdapterHost>;

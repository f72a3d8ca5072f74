using CCApi.Adapters.ElevenLabs.Tests.Support;
using CCApi.Testing.Adapters;

namespace CCApi.Adapters.ElevenLabs.Tests.Integration;

/// <summary>The kit's shared tests: jobs nobody waits for are not started.</summary>
public sealed class CancellationTests(ElevenLabsAdapterHost host) : CancellationTests<ElevenLabsAdapterHost>(host), IClassFixture<ElevenLabsAdapterHost>;

/// <summary>A client that goes away stops the synthesis it no longer waits for (the kit's shared test).</summary>
public sealed class InFlightCancellationTests : InFlightCancellationTests<ElevenLabsAdapterHost>;

using CCApi.Adapters.ElevenLabs;
using CCApi.Adapters.ElevenLabs.Upstream;
using CCApi.Adapters.Hosting;
using MassTransit;

// The kit's adapter host (service defaults, Redis storage for the audio, the adapter bus, health endpoints) with:
AdapterHost.Run(args,
    consumers: x => x.AddProviderSpeechConsumer<ElevenLabsClient>(), // {provider}-speech, the only capability ElevenLabs has here
    services: builder => builder.AddElevenLabsAdapterServices());    // options, upstream client + resilience, voice directory, heartbeat

public partial class Program; // public: WebApplicationFactory hosts the service in tests

using CCApi.Adapters.Hosting;
using CCApi.Adapters.Local;
using CCApi.Adapters.Local.Audio;
using CCApi.Adapters.Local.Consumers;
using MassTransit;

// The kit's adapter host (service defaults, Redis storage for blobs and chat streams, the adapter bus, health endpoints) with:
AdapterHost.Run(args,
    consumers: x =>
    {
        x.AddConsumer<ChatCompletionConsumer, ChatCompletionConsumerDefinition>();   // {provider}-chat: echo-1
        x.AddConsumer<GenerateImageConsumer, GenerateImageConsumerDefinition>();     // {provider}-image: pixel-1 (and pixel-async-1 waited on)
        x.AddAsyncImageConsumer<GenerateImageConsumer>();                            // {provider}-image-async: pixel-async-1 jobs
        x.AddProviderSpeechConsumer<LocalSpeechProvider>();                          // {provider}-speech: espeak-1
    },
    services: builder => builder.AddLocalAdapterServices()); // options, engines, heartbeat, espeak-ng readiness

public partial class Program; // public: WebApplicationFactory hosts the service in tests

using CCApi.Adapters.Hosting;
using CCApi.Adapters.OpenAI;
using CCApi.Adapters.OpenAI.Consumers;
using CCApi.Adapters.OpenAI.Upstream;
using MassTransit;

// The kit's adapter host (service defaults, Redis storage for blobs and chat streams, the adapter bus, health endpoints) with:
AdapterHost.Run(args,
    consumers: x =>
    {
        x.AddConsumer<ChatCompletionConsumer, ChatCompletionConsumerDefinition>();   // {provider}-chat
        x.AddConsumer<GenerateImageConsumer, GenerateImageConsumerDefinition>();     // {provider}-image
        x.AddAsyncImageConsumer<GenerateImageConsumer>();                            // {provider}-image-async (a model the catalog makes async)
        x.AddProviderSpeechConsumer<OpenAIClient>();                                 // {provider}-speech
    },
    services: builder => builder.AddOpenAIAdapterServices()); // options, upstream client + resilience, heartbeat

public partial class Program; // public: WebApplicationFactory hosts the service in tests

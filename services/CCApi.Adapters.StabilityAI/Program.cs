using CCApi.Adapters.Hosting;
using CCApi.Adapters.StabilityAI;
using CCApi.Adapters.StabilityAI.Consumers;
using MassTransit;

// The kit's adapter host (service defaults, Redis storage for generated images and uploaded inputs, the adapter bus, health endpoints) with:
AdapterHost.Run(args,
    consumers: x =>
    {
        x.AddConsumer<GenerateImageConsumer, GenerateImageConsumerDefinition>(); // {provider}-image
        x.AddAsyncImageConsumer<GenerateImageConsumer>();                        // {provider}-image-async (a model the catalog makes async)
    },
    services: builder => builder.AddStabilityAIAdapterServices()); // options, upstream client + resilience, heartbeat

public partial class Program; // public: WebApplicationFactory hosts the service in tests

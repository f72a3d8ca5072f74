using CCApi.Adapters.Hosting;
using CCApi.Adapters.ImaginePro;
using CCApi.Adapters.ImaginePro.Consumers;
using MassTransit;

// The kit's adapter host (service defaults, Redis storage for blobs and the provider task ids, the adapter bus, health endpoints) with:
AdapterHost.Run(args,
    consumers: x =>
    {
        x.AddConsumer<GenerateImageConsumer, GenerateImageConsumerDefinition>(); // {provider}-image: requests waited on
        x.AddAsyncImageConsumer<GenerateImageConsumer>();                        // {provider}-image-async: async jobs
    },
    services: builder => builder.AddImagineProAdapterServices()); // options, upstream client + resilience, polling job, heartbeat

public partial class Program; // public: WebApplicationFactory hosts the service in tests

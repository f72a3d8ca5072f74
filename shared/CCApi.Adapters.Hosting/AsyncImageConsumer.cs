using CCApi.Contracts;
using MassTransit;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// The adapter's image consumer <typeparamref name="TConsumer"/> on its second queue, "{provider}-image-async", where the
/// gateway sends async jobs (202 + polling). The job is the same and so is the work — this only hands the message to
/// <typeparamref name="TConsumer"/> (registered by the adapter's own <c>AddConsumer</c>, resolved from the same scope) —
/// but the queue has its own slots (<see cref="AdapterOptions.AsyncImageConcurrency"/>): an async job holds its slot while
/// it runs (a polling provider, the local model's paced steps), and a backlog of them must not make a client waiting on
/// "{provider}-image" wait behind it.
/// </summary>
public sealed class AsyncImageConsumer<TConsumer>(TConsumer consumer) : IConsumer<GenerateImage>
    where TConsumer : class, IConsumer<GenerateImage>
{
    public Task Consume(ConsumeContext<GenerateImage> context) => consumer.Consume(context);
}

/// <summary>Consumes "{provider}-image-async" with <see cref="AdapterOptions.AsyncImageConcurrency"/> and the shared endpoint policy.</summary>
public sealed class AsyncImageConsumerDefinition<TConsumer>(AdapterOptions options)
    : ProviderConsumerDefinition<AsyncImageConsumer<TConsumer>>(Queues.ForAsyncImages(Provider(options)), options.AsyncImageConcurrency)
    where TConsumer : class, IConsumer<GenerateImage>;

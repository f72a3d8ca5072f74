using CCApi.Contracts;
using CCApi.Gateway.Credits;
using MassTransit;

namespace CCApi.Gateway.Consumers;

/// <summary>
/// Settles every job on its key from its terminal event — whatever the gateway did not settle inline: a gateway that died
/// mid-request, asynchronous image jobs (which hold their reservation until now), streams without usage, and every job of
/// an unlimited key (whose usage is recorded here only, off the request path). Successes charge the adapter's priced
/// usage; failures, cancellations and faulted commands release the reservation. Settlement is exactly once per job id in Redis, so an
/// event redelivered, or one the gateway already settled inline, changes nothing.
/// </summary>
public sealed class CreditSettlementConsumer(CreditSettlement settlement) :
    IConsumer<ChatCompleted>,
    IConsumer<ImageGenerated>,
    IConsumer<SpeechSynthesized>,
    IConsumer<JobFailed>,
    IConsumer<JobCanceled>,
    IConsumer<Fault<ChatCompletion>>,
    IConsumer<Fault<GenerateImage>>,
    IConsumer<Fault<Speech>>
{
    public Task Consume(ConsumeContext<ChatCompleted> context) => SettleAsync(context.Message, JobKind.Chat);

    public Task Consume(ConsumeContext<ImageGenerated> context) => SettleAsync(context.Message, JobKind.Image);

    public Task Consume(ConsumeContext<SpeechSynthesized> context) => SettleAsync(context.Message, JobKind.Speech);

    public async Task Consume(ConsumeContext<JobFailed> context)
    {
        var owner = context.Message.Route?.OwnerId ?? await settlement.OwnerOfAsync(context.Message.JobId);
        if (owner is not null)
        {
            await settlement.ReleaseAsync(owner, context.Message.JobId);
        }
    }

    public async Task Consume(ConsumeContext<JobCanceled> context)
    {
        // Synchronous jobs are released by the request that canceled them; asynchronous ones remembered their owner.
        if (await settlement.OwnerOfAsync(context.Message.JobId) is { } owner)
        {
            await settlement.ReleaseAsync(owner, context.Message.JobId);
        }
    }

    // A command no adapter could process (poison message, crash loop): no JobFailed follows from an adapter, so release here.
    public Task Consume(ConsumeContext<Fault<ChatCompletion>> context) => ReleaseAsync(context.Message.Message);

    public Task Consume(ConsumeContext<Fault<GenerateImage>> context) => ReleaseAsync(context.Message.Message);

    public Task Consume(ConsumeContext<Fault<Speech>> context) => ReleaseAsync(context.Message.Message);

    private Task ReleaseAsync(IJobCommand command) => settlement.ReleaseAsync(command.Route.OwnerId, command.JobId);

    private Task SettleAsync(IJobResult result, JobKind kind) => settlement.SettleAsync(result.Route.OwnerId, result.JobId, result.Route, kind, result.Usage);
}

/// <summary>
/// One shared queue, "gateway-settlement", for all replicas (competing consumers: each event is settled by one of them),
/// with retries for Redis hiccups; the script makes a retried event harmless.
/// </summary>
public sealed class CreditSettlementConsumerDefinition : ConsumerDefinition<CreditSettlementConsumer>
{
    public const string QueueName = "gateway-settlement";

    public CreditSettlementConsumerDefinition() => EndpointName = QueueName;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<CreditSettlementConsumer> consumerConfigurator, IRegistrationContext context)
    {
        consumerConfigurator.UseMessageRetry(r => r.Intervals(100, 500, 1000, 2000, 5000));
    }
}

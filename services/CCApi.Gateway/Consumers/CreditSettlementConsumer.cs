using MassTransit;

namespace CCApi.Gateway.Consumers;

/// <summary>
/// Settles jobs on their key from the terminal events the gateway needs: asynchronous image jobs (which hold their
/// reservation until their terminal event), failures and cancellations (released), and commands no adapter could process
/// (<c>Fault&lt;T&gt;</c>). Successes charge the adapter's priced usage. Settlement is exactly once per job id in Redis, so
/// an event redelivered, or one the gateway already settled inline (a synchronous image), changes nothing.
/// <para>
/// Not <see cref="ChatCompleted"/> or <see cref="SpeechSynthesized"/>: those jobs are synchronous, and the gateway that
/// waits for them settles them itself. Consuming them here cost every chat request one more broker delivery and one more
/// script call, for every key. What a gateway that died mid-request leaves is settled by <see cref="ReservationSweeper"/>
/// from the job's record once the reservation expires.
/// </para>
/// </summary>
public sealed class CreditSettlementConsumer(CreditSettlement settlement) :
    IConsumer<ImageGenerated>,
    IConsumer<JobFailed>,
    IConsumer<JobCanceled>,
    IConsumer<Fault<ChatCompletion>>,
    IConsumer<Fault<GenerateImage>>,
    IConsumer<Fault<Speech>>
{
    public Task Consume(ConsumeContext<ImageGenerated> context) => SettleAsync(context.Message, JobKind.Image);

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
/// One shared queue, "gateway-job-settlement", for all replicas (competing consumers: each event is settled by one of them),
/// with retries for Redis hiccups; the script makes a retried event harmless. (Named anew when it stopped taking
/// ChatCompleted and SpeechSynthesized: a broker keeps a queue's old bindings, so an upgraded broker's old
/// "gateway-settlement" queue is deleted at start, <see cref="LegacySettlementQueue"/>.)
/// </summary>
public sealed class CreditSettlementConsumerDefinition : ConsumerDefinition<CreditSettlementConsumer>
{
    public const string QueueName = "gateway-job-settlement";

    public CreditSettlementConsumerDefinition() => EndpointName = QueueName;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<CreditSettlementConsumer> consumerConfigurator, IRegistrationContext context)
    {
        consumerConfigurator.UseMessageRetry(r => r.Intervals(100, 500, 1000, 2000, 5000));
    }
}

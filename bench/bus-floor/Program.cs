// One point of bench/bus-floor.sh: one request in flight at a time for SECONDS (after a 3 s warm-up), then one line
// "<variant> <round trips/s> <p50 µs> <p90 µs> <p99 µs> <CPU µs per round trip, this process>".
//
//   raw                     RabbitMQ.Client alone: publish to a queue, a consumer on a second connection publishes
//                           back to a reply queue (transient, no publisher confirms, auto-ack): the broker's floor.
//   mt-platform             MassTransit request/response as the platform sends a synchronous call: publisher
//                           confirmations on (the host setting every service has), the request and the response
//                           transient and not waited on (MessagingExtensions.SynchronousCall), GetResponse<T1, T2>.
//   mt-requester-unconfirmed  the same with publisher confirmations off on the requester's bus only (the gateway's side).
//   mt-unconfirmed          publisher confirmations off on both buses.
//   mt-confirmed            the request and the response waited on for their confirms (MassTransit's defaults).
//   mt-correlated           the responder as in mt-platform, the requester a MassTransit bus without a request client:
//                           the request sent with RequestId and ResponseAddress (its bus endpoint) set, the responses
//                           taken by one handler connected once to that endpoint, matched to their callers by RequestId.
//   raw-requester           the responder as in mt-platform (a MassTransit consumer that responds, confirmations on), the
//                           requester RabbitMQ.Client alone: it publishes MassTransit's JSON envelope itself and reads the
//                           response envelope from a reply queue of its own (what a gateway without a request client pays).
//   mt-replyto              mt-correlated with RabbitMQ's direct reply-to: the responses come to the requester's channel
//                           through the pseudo-queue amq.rabbitmq.reply-to (no reply queue, no exchange; a reply to a
//                           requester that has gone is discarded by the broker), the requests sent on that same channel.
using System.Diagnostics;
using CCApi.Bench.BusFloor;
using MassTransit;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

var amqp = new Uri(args[0]);
var variant = args[1];
var seconds = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
var payload = new string('x', 600); // about a short chat request's size on the wire

Func<Task> roundTrip;
Func<Task> stop;
if (variant == "raw")
{
    var factory = new ConnectionFactory { Uri = amqp };
    var requesterConnection = await factory.CreateConnectionAsync();
    var responderConnection = await factory.CreateConnectionAsync();
    var requester = await requesterConnection.CreateChannelAsync();
    var responder = await responderConnection.CreateChannelAsync();
    var requests = (await requester.QueueDeclareAsync("", durable: false, exclusive: false, autoDelete: true)).QueueName;
    var replies = (await requester.QueueDeclareAsync("", durable: false, exclusive: false, autoDelete: true)).QueueName;
    var properties = new BasicProperties { DeliveryMode = DeliveryModes.Transient };
    var body = System.Text.Encoding.UTF8.GetBytes(payload);
    var serve = new AsyncEventingBasicConsumer(responder);
    serve.ReceivedAsync += async (_, delivery) => await responder.BasicPublishAsync("", replies, false, properties, delivery.Body);
    await responder.BasicConsumeAsync(requests, autoAck: true, serve);
    TaskCompletionSource reply = new();
    var receive = new AsyncEventingBasicConsumer(requester);
    receive.ReceivedAsync += (_, _) => { reply.TrySetResult(); return Task.CompletedTask; };
    await requester.BasicConsumeAsync(replies, autoAck: true, receive);
    roundTrip = async () =>
    {
        reply = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await requester.BasicPublishAsync("", requests, false, properties, body);
        await reply.Task;
    };
    stop = async () => { await requesterConnection.CloseAsync(); await responderConnection.CloseAsync(); };
}
else if (variant is "mt-correlated" or "mt-replyto")
{
    var queue = $"bus-floor-{Environment.ProcessId}";
    var responder = Responder(amqp, queue, publisherConfirmation: true, awaitAck: false);
    var requester = MtBus(amqp, true, null);
    await responder.StartAsync();
    await requester.StartAsync();
    var pending = new System.Collections.Concurrent.ConcurrentDictionary<Guid, TaskCompletionSource<Pong>>();
    Task Deliver(ConsumeContext<Pong> context)
    {
        if (context.RequestId is { } id && pending.TryRemove(id, out var waiter))
        {
            waiter.TrySetResult(context.Message);
        }

        return Task.CompletedTask;
    }

    // mt-correlated: the responses come to the bus endpoint's queue; mt-replyto: to the direct reply-to pseudo-queue,
    // and the requests go out on that endpoint's channel (RabbitMQ replies only to the channel that asked).
    ISendEndpointProvider sender = requester;
    var responseAddress = requester.Address;
    HostReceiveEndpointHandle? replies = null;
    if (variant == "mt-correlated")
    {
        requester.ConnectHandler<Pong>(Deliver);
    }
    else
    {
        replies = requester.ConnectReceiveEndpoint(MassTransit.RabbitMqTransport.RabbitMqExchangeNames.ReplyTo, e =>
        {
            e.ConfigureConsumeTopology = false;
            e.Handler<Pong>(Deliver);
        });
        await replies.Ready;
        sender = replies.ReceiveEndpoint;
        responseAddress = replies.ReceiveEndpoint.InputAddress;
    }

    var endpoint = await sender.GetSendEndpoint(new Uri($"queue:{queue}?autodelete=true"));
    roundTrip = async () =>
    {
        var id = NewId.NextGuid();
        var waiter = new TaskCompletionSource<Pong>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = waiter;
        await endpoint.Send(new Ping { Text = payload }, send =>
        {
            send.RequestId = id;
            send.ResponseAddress = responseAddress;
            send.Durable = false;
            send.TrySetAwaitAck(false);
        });
        await waiter.Task;
    };
    stop = async () =>
    {
        if (replies is not null)
        {
            await replies.StopAsync();
        }

        await requester.StopAsync();
        await responder.StopAsync();
    };
}
else if (variant == "raw-requester")
{
    var queue = $"bus-floor-{Environment.ProcessId}";
    var responder = Responder(amqp, queue, publisherConfirmation: true, awaitAck: false);
    await responder.StartAsync();
    var factory = new ConnectionFactory { Uri = amqp };
    var connection = await factory.CreateConnectionAsync();
    var channel = await connection.CreateChannelAsync();
    var replies = $"bus-floor-replies-{Environment.ProcessId}";
    // The exchange and queue a MassTransit send to "…/replies?temporary=true" declares: fanout, not durable, auto-delete.
    await channel.ExchangeDeclareAsync(replies, ExchangeType.Fanout, durable: false, autoDelete: true);
    await channel.QueueDeclareAsync(replies, durable: false, exclusive: false, autoDelete: true);
    await channel.QueueBindAsync(replies, replies, "");
    var responseAddress = $"rabbitmq://{amqp.Host}:{amqp.Port}/{replies}?temporary=true";
    var properties = new BasicProperties { DeliveryMode = DeliveryModes.Transient, ContentType = "application/vnd.masstransit+json" };
    TaskCompletionSource<string> reply = new();
    var receive = new AsyncEventingBasicConsumer(channel);
    receive.ReceivedAsync += (_, delivery) =>
    {
        using var envelope = System.Text.Json.JsonDocument.Parse(delivery.Body);
        var requestId = envelope.RootElement.GetProperty("requestId").GetString()!;
        _ = envelope.RootElement.GetProperty("message").GetProperty("text").GetString()!;
        reply.TrySetResult(requestId);
        return Task.CompletedTask;
    };
    await channel.BasicConsumeAsync(replies, autoAck: true, receive);
    roundTrip = async () =>
    {
        reply = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = NewId.NextGuid().ToString();
        var body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["messageId"] = id,
            ["requestId"] = id,
            ["conversationId"] = id,
            ["destinationAddress"] = $"rabbitmq://{amqp.Host}:{amqp.Port}/{queue}",
            ["responseAddress"] = responseAddress,
            ["messageType"] = new[] { "urn:message:CCApi.Bench.BusFloor:Ping" },
            ["message"] = new Dictionary<string, string> { ["text"] = payload },
            ["sentTime"] = DateTime.UtcNow,
        });
        await channel.BasicPublishAsync(queue, "", false, properties, body);
        if (await reply.Task != id)
        {
            throw new InvalidOperationException("a response to another request");
        }
    };
    stop = async () => { await connection.CloseAsync(); await responder.StopAsync(); };
}
else
{
    var confirmed = variant == "mt-confirmed";
    var responderConfirms = variant is "mt-platform" or "mt-requester-unconfirmed" or "mt-confirmed" or "mt-raw";
    var requesterConfirms = variant is "mt-platform" or "mt-confirmed" or "mt-raw";
    var raw = variant == "mt-raw";
    if (variant is not ("mt-platform" or "mt-requester-unconfirmed" or "mt-unconfirmed" or "mt-confirmed" or "mt-raw"))
    {
        throw new ArgumentException($"unknown variant '{variant}'");
    }

    var queue = $"bus-floor-{Environment.ProcessId}";
    var responder = Responder(amqp, queue, responderConfirms, awaitAck: confirmed, raw);
    var requester = MtBus(amqp, requesterConfirms, null, raw);
    await responder.StartAsync();
    await requester.StartAsync();
    var client = requester.CreateRequestClient<Ping>(new Uri($"queue:{queue}?autodelete=true"));
    roundTrip = async () => await client.GetResponse<Pong, Failed>(new Ping { Text = payload }, request => request.UseExecute(send =>
    {
        send.Durable = false;
        if (!confirmed)
        {
            send.TrySetAwaitAck(false);
        }
    }), default, RequestTimeout.After(s: 10));
    stop = async () => { await requester.StopAsync(); await responder.StopAsync(); };
}

var latencies = new List<double>(200_000);
var clock = Stopwatch.StartNew();
while (clock.Elapsed < TimeSpan.FromSeconds(3)) // warm-up: tiered JIT settles (its background compiles would count as CPU)
{
    await roundTrip();
}

var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
clock.Restart();
while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
{
    var start = Stopwatch.GetTimestamp();
    await roundTrip();
    latencies.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
}

var elapsed = clock.Elapsed.TotalSeconds;
var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds / latencies.Count;
await stop();
latencies.Sort();
double At(double q) => latencies[(int)(q * (latencies.Count - 1))];
Console.WriteLine(FormattableString.Invariant($"{variant} {latencies.Count / elapsed:F0} {At(0.5):F0} {At(0.9):F0} {At(0.99):F0} {cpu:F0}"));

// The responder of every MassTransit variant: a consumer on QUEUE that answers each Ping with a transient Pong, waiting
// for the response's publisher confirm only when AWAITACK (MassTransit's default; the platform does not).
static IBusControl Responder(Uri amqp, string queue, bool publisherConfirmation, bool awaitAck, bool raw = false) => MtBus(amqp, publisherConfirmation, cfg =>
    cfg.ReceiveEndpoint(queue, e =>
    {
        e.AutoDelete = true; // the queue goes with the run (MassTransit declares it durable, as a provider's queue is)
        e.Handler<Ping>(context => context.RespondAsync(new Pong { Text = context.Message.Text }, send =>
        {
            send.Durable = false;
            if (!awaitAck)
            {
                send.TrySetAwaitAck(false);
            }
        }));
    }), raw);

static IBusControl MtBus(Uri amqp, bool publisherConfirmation, Action<IRabbitMqBusFactoryConfigurator>? endpoints, bool raw = false) => MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
{
    if (raw)
    {
        // The message alone as the body, its ids, addresses and message types as AMQP headers. Not RawSerializerOptions.All:
        // its AnyMessageType hands every body to whichever of the request client's handlers (Pong, Failed, Fault<Ping>)
        // asks first, so a Pong was read as an empty fault.
        cfg.UseRawJsonSerializer(RawSerializerOptions.Default, isDefault: true);
    }

    var user = Uri.UnescapeDataString(amqp.UserInfo.Split(':')[0]);
    var password = Uri.UnescapeDataString(amqp.UserInfo.Split(':')[1]);
    cfg.Host(amqp.Host, (ushort)amqp.Port, "/", h =>
    {
        h.Username(user);
        h.Password(password);
        h.PublisherConfirmation = publisherConfirmation;
    });
    endpoints?.Invoke(cfg);
});

namespace CCApi.Bench.BusFloor
{
    public sealed record Ping
    {
        public required string Text { get; init; }
    }

    public sealed record Pong
    {
        public required string Text { get; init; }
    }

    public sealed record Failed
    {
        public required string Reason { get; init; }
    }
}

using System.Runtime.CompilerServices;
using System.Threading.Channels;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.Storage;
using CCApi.Testing;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CCApi.Shared.Tests;

public sealed class ChatStreamBatchTests : IAsyncLifetime
{
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync() => _redis = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);

    public Task DisposeAsync()
    {
        _redis.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Chunks_that_arrived_together_go_out_in_one_append_when_the_upstream_waits_and_before_its_failure()
    {
        var streams = new ChatStreams(_redis, Options.Create(new RedisOptions { ConnectionString = TestInfrastructure.Redis }));
        var jobId = Guid.NewGuid();
        var notes = Channel.CreateUnbounded<string>();
        var queue = await _redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(RedisKeys.JobStreamChannel(jobId)));
        queue.OnMessage(message => notes.Writer.TryWrite((string)message.Message!));
        var more = new TaskCompletionSource();
        var batch = new ChatStreamBatch(streams, jobId);

        var relay = Task.Run(async () =>
        {
            await foreach (var text in batch.Relay(Upstream(more.Task)))
            {
                batch.Add(new ChatStreamDelta { Content = text });
            }
        });

        // "a" and "b" were there together: one notification with both, sent while the upstream waits for more.
        var first = (await notes.Reader.ReadAsync()).Split('\n');
        first.Length.ShouldBe(5);
        first[2].ShouldContain("\"a\"");
        first[4].ShouldContain("\"b\"");
        more.SetResult();

        // "c" came just before the upstream failed: it is in the stream before the failure reaches the consumer.
        (await Should.ThrowAsync<InvalidOperationException>(relay)).Message.ShouldBe("upstream dropped");
        var second = (await notes.Reader.ReadAsync()).Split('\n');
        second.Length.ShouldBe(3);
        second[2].ShouldContain("\"c\"");
        (await _redis.GetDatabase().StreamLengthAsync(RedisKeys.JobStream(jobId))).ShouldBe(3);
    }

    [Fact]
    public async Task Flushing_nothing_appends_nothing()
    {
        var streams = new ChatStreams(_redis, Options.Create(new RedisOptions { ConnectionString = TestInfrastructure.Redis }));
        var jobId = Guid.NewGuid();

        await new ChatStreamBatch(streams, jobId).FlushAsync();

        (await _redis.GetDatabase().KeyExistsAsync(RedisKeys.JobStream(jobId))).ShouldBeFalse();
    }

    private static async IAsyncEnumerable<string> Upstream(Task more, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        yield return "a";
        yield return "b";
        await more.WaitAsync(cancellationToken);
        yield return "c";
        throw new InvalidOperationException("upstream dropped");
    }
}

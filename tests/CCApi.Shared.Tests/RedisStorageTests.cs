using System.Runtime.CompilerServices;
using System.Threading.Channels;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.Storage;
using CCApi.Testing;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CCApi.Shared.Tests;

public sealed class RedisStorageTests : IAsyncLifetime
{
    private ConnectionMultiplexer _redis = null!;
    private readonly IOptions<RedisOptions> _options = Options.Create(new RedisOptions
    {
        ConnectionString = TestInfrastructure.Redis,
        BlobTtl = TimeSpan.FromMinutes(5),
        StreamTtl = TimeSpan.FromMinutes(1),
    });

    public async Task InitializeAsync() => _redis = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);

    public Task DisposeAsync()
    {
        _redis.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_job_result_is_kept_past_its_commands_deadline_by_the_margin_and_never_longer_than_blobs()
    {
        var options = Options.Create(new RedisOptions { ConnectionString = TestInfrastructure.Redis, BlobTtl = TimeSpan.FromHours(1) });
        var cache = new CCApi.Adapters.Hosting.JobResultCache(_redis, options, TimeProvider.System);
        var db = _redis.GetDatabase();
        var margin = CCApi.Adapters.Hosting.JobResultCache.DeadlineMargin;
        async Task<TimeSpan> StoredFor(DateTimeOffset? deadline)
        {
            var jobId = Guid.NewGuid();
            await cache.SetAsync(jobId, "test-step", new Usage { TotalTokens = 7 }, deadline);
            (await cache.GetAsync<Usage>(jobId, "test-step"))!.TotalTokens.ShouldBe(7);
            return (await db.KeyTimeToLiveAsync(RedisKeys.JobIdempotency(jobId, "test-step")))!.Value;
        }

        (await StoredFor(DateTimeOffset.UtcNow.AddSeconds(30))).ShouldBeInRange(margin + TimeSpan.FromSeconds(25), margin + TimeSpan.FromSeconds(30));
        (await StoredFor(DateTimeOffset.UtcNow.AddMinutes(-1))).ShouldBeInRange(margin - TimeSpan.FromSeconds(5), margin, "a passed deadline keeps the margin");
        (await StoredFor(DateTimeOffset.UtcNow.AddDays(2))).ShouldBeInRange(TimeSpan.FromMinutes(59), TimeSpan.FromHours(1), "capped at the blob TTL");
        (await StoredFor(null)).ShouldBeInRange(TimeSpan.FromMinutes(59), TimeSpan.FromHours(1), "no deadline: as long as the job's blobs");
    }

    [Fact]
    public async Task A_job_result_stored_as_the_answers_json_reads_back_as_the_outcome()
    {
        var options = Options.Create(new RedisOptions { ConnectionString = TestInfrastructure.Redis, BlobTtl = TimeSpan.FromHours(1) });
        var cache = new CCApi.Adapters.Hosting.JobResultCache(_redis, options, TimeProvider.System);
        var jobId = Guid.NewGuid();
        var usage = new Usage { PromptTokens = 3, CompletionTokens = 4, TotalTokens = 7, Cost = 0.25m };
        var json = SynchronousReplies.Serialize(usage);

        await cache.SetJsonAsync(jobId, "test-step", json, DateTimeOffset.UtcNow.AddMinutes(1));

        var read = (await cache.GetAsync<Usage>(jobId, "test-step"))!;
        (read.TotalTokens, read.Cost).ShouldBe((7, 0.25m));
        ((byte[])(await _redis.GetDatabase().StringGetAsync(RedisKeys.JobIdempotency(jobId, "test-step")))!).ShouldBe(json, "the bytes the answer carries");
        await cache.SetAsync(jobId, "other-step", usage);
        ((byte[])(await _redis.GetDatabase().StringGetAsync(RedisKeys.JobIdempotency(jobId, "other-step")))!).ShouldBe(json, "SetAsync serializes the same way");
    }

    [Fact]
    public async Task A_blob_round_trips_with_its_content_type_and_expires()
    {
        var store = new RedisBlobStore(_redis, _options);
        var bytes = new byte[] { 1, 2, 3, 0, 255 };

        var blob = await store.PutAsync(bytes, "image/png");
        var read = await store.GetAsync(blob.Id);

        blob.Length.ShouldBe(5);
        RedisBlobStore.IsValidId(blob.Id).ShouldBeTrue();
        read!.Bytes.ShouldBe(bytes);
        read.ContentType.ShouldBe("image/png");
        var ttl = await _redis.GetDatabase().KeyTimeToLiveAsync(RedisKeys.Blob(blob.Id));
        ttl!.Value.ShouldBeInRange(TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("ABCDEF")]
    [InlineData("0123456789abcdef0123456789abcdeg")]
    public async Task Ids_that_are_not_blob_ids_find_nothing(string id) =>
        (await new RedisBlobStore(_redis, _options).GetAsync(id)).ShouldBeNull();

    [Fact]
    public async Task A_blob_larger_than_MaxBlobBytes_is_refused_with_400_result_too_large()
    {
        var store = new RedisBlobStore(_redis, Options.Create(new RedisOptions { ConnectionString = TestInfrastructure.Redis, MaxBlobBytes = 2048 }));
        (await store.PutAsync(new byte[2048], "audio/wav")).Length.ShouldBe(2048);

        var refused = await Should.ThrowAsync<CCApi.ServiceDefaults.ApiException>(() => store.PutAsync(new byte[2049], "audio/wav"));

        refused.Status.ShouldBe(400);
        refused.Code.ShouldBe("result_too_large");
        refused.Details!["max"].ShouldBe("2048");
    }

    [Fact]
    public async Task Missing_blobs_are_null() =>
        (await new RedisBlobStore(_redis, _options).GetAsync(RedisBlobStore.NewId())).ShouldBeNull();

    [Fact]
    public async Task A_chat_stream_is_read_in_order_while_it_is_written_and_ends_at_done()
    {
        var streams = new ChatStreams(_redis, _options);
        var jobId = Guid.NewGuid();
        var reader = Task.Run(async () =>
        {
            var seen = new List<ChatStreamDelta>();
            await foreach (var (_, delta) in streams.ReadAsync(jobId, null, TimeSpan.FromSeconds(20)))
            {
                seen.Add(delta);
            }

            return seen;
        });

        await streams.AppendAsync(jobId, new ChatStreamDelta { Role = "assistant" });
        for (var i = 0; i < 50; i++)
        {
            await streams.AppendAsync(jobId, new ChatStreamDelta { Content = $"w{i} " });
        }

        await streams.AppendAsync(jobId, new ChatStreamDelta { FinishReason = "stop" });
        await streams.AppendAsync(jobId, new ChatStreamDelta { Done = true });
        var seen = await reader.WaitAsync(TimeSpan.FromSeconds(20));

        seen.Count.ShouldBe(53);
        seen[0].Role.ShouldBe("assistant");
        string.Concat(seen.Select(d => d.Content)).ShouldBe(string.Concat(Enumerable.Range(0, 50).Select(i => $"w{i} ")));
        seen[^2].FinishReason.ShouldBe("stop");
        seen[^1].Done.ShouldBeTrue();
    }

    [Fact]
    public async Task A_reader_can_resume_after_the_last_id_it_saw()
    {
        var streams = new ChatStreams(_redis, _options);
        var jobId = Guid.NewGuid();
        var first = await streams.AppendAsync(jobId, new ChatStreamDelta { Content = "a" });
        await streams.AppendAsync(jobId, new ChatStreamDelta { Content = "b" });
        await streams.AppendAsync(jobId, new ChatStreamDelta { Done = true });

        var rest = new List<string?>();
        await foreach (var (_, delta) in streams.ReadAsync(jobId, first, TimeSpan.FromSeconds(5)))
        {
            rest.Add(delta.Content);
        }

        rest.ShouldBe(["b", null]);
    }

    [Fact]
    public async Task A_reader_resuming_past_the_end_of_a_running_stream_gets_its_ending_when_it_comes()
    {
        var streams = new ChatStreams(_redis, _options);
        var jobId = Guid.NewGuid();
        await streams.AppendAsync(jobId, new ChatStreamDelta { Content = "a" });
        var reader = Task.Run(async () =>
        {
            var seen = new List<(string Id, ChatStreamDelta Delta)>();
            await foreach (var entry in streams.ReadAsync(jobId, "99999999999999-0", TimeSpan.FromSeconds(30)))
            {
                seen.Add(entry);
            }

            return seen;
        });
        await Task.Delay(300); // the reader is waiting, past the end

        await streams.AppendAsync(jobId, new ChatStreamDelta { Content = "b" });
        var done = await streams.AppendAsync(jobId, new ChatStreamDelta { Done = true });

        // Not the idle timeout (30 s): the ending, though its id comes before the reader's.
        var seen = await reader.WaitAsync(TimeSpan.FromSeconds(10));
        seen.ShouldHaveSingleItem().Id.ShouldBe(done);
        seen[0].Delta.Done.ShouldBeTrue();
    }

    [Fact]
    public async Task An_error_entry_ends_the_stream()
    {
        var streams = new ChatStreams(_redis, _options);
        var jobId = Guid.NewGuid();
        await streams.AppendAsync(jobId, new ChatStreamDelta { Content = "partial" });
        await streams.AppendAsync(jobId, new ChatStreamDelta { Error = new ErrorInfo { Message = "upstream died", Type = "api_error", Code = "provider_error", Status = 502 } });
        await streams.AppendAsync(jobId, new ChatStreamDelta { Content = "never read" });

        var seen = new List<ChatStreamDelta>();
        await foreach (var (_, delta) in streams.ReadAsync(jobId, null, TimeSpan.FromSeconds(5)))
        {
            seen.Add(delta);
        }

        seen.Count.ShouldBe(2);
        seen[1].Error!.Code.ShouldBe("provider_error");
    }

    [Fact]
    public async Task Entries_appended_together_are_read_in_order_from_one_notification()
    {
        var streams = new ChatStreams(_redis, _options);
        var jobId = Guid.NewGuid();
        var notes = await NotificationsAsync(jobId);

        var ids = await streams.AppendAsync(jobId, [new ChatStreamDelta { Role = "assistant" }, new ChatStreamDelta { Content = "Hi" }, new ChatStreamDelta { Done = true }]);

        ids.Length.ShouldBe(3);
        var note = await NextNoteAsync(notes);
        note.Length.ShouldBe(7); // the id before them (none), then id and JSON per entry
        note[0].ShouldBe("");
        note[1].ShouldBe(ids[0]);
        note[5].ShouldBe(ids[2]);
        var read = await ReadAllAsync(streams, jobId, null);
        read.Select(e => e.Id).ShouldBe(ids);
        read[1].Delta.Content.ShouldBe("Hi");
        (await streams.AppendAsync(jobId, new ChatStreamDelta { Content = "after" })).ShouldNotBeNull();
        (await NextNoteAsync(notes))[0].ShouldBe(ids[2]); // the next one names the last id before it
    }

    [Fact]
    public async Task A_notification_that_continues_from_the_last_id_seen_is_taken_as_it_is()
    {
        var streams = new ChatStreams(_redis, _options);
        var jobId = Guid.NewGuid();
        await using var reader = streams.ReadAsync(jobId, null, TimeSpan.FromSeconds(20)).GetAsyncEnumerator();
        var first = reader.MoveNextAsync(); // subscribes, finds nothing, waits
        await WaitForSubscriberAsync(jobId);

        // Entries that are only in the notification, not in the stream: a reader that took them from XRANGE would not see them.
        await _redis.GetSubscriber().PublishAsync(RedisChannel.Literal(RedisKeys.JobStreamChannel(jobId)),
            "\n1-1\n{\"content\":\"from the note\"}\n1-2\n{\"done\":true}");

        (await first).ShouldBeTrue();
        reader.Current.ShouldBe(("1-1", new ChatStreamDelta { Content = "from the note" }));
        (await reader.MoveNextAsync()).ShouldBeTrue();
        reader.Current.Delta.Done.ShouldBeTrue();
        (await reader.MoveNextAsync()).ShouldBeFalse();
    }

    [Fact]
    public async Task A_missed_notification_is_a_gap_the_reader_fills_from_the_stream_in_order()
    {
        var streams = new ChatStreams(_redis, _options);
        var jobId = Guid.NewGuid();
        var reader = ReadAllAsync(streams, jobId, null);
        await WaitForSubscriberAsync(jobId);

        // An entry whose notification never came (e.g. the reader's subscription was briefly down): the next notification
        // names it as the id before, which this reader has not seen.
        await _redis.GetDatabase().StreamAddAsync(RedisKeys.JobStream(jobId), "d", "{\"content\":\"missed \"}");
        await streams.AppendAsync(jobId, new ChatStreamDelta { Content = "noticed" });
        await streams.AppendAsync(jobId, new ChatStreamDelta { Done = true });

        var read = await reader.WaitAsync(TimeSpan.FromSeconds(20));
        read.Select(e => e.Delta.Content).ShouldBe(["missed ", "noticed", null]);
        read[^1].Delta.Done.ShouldBeTrue();
    }

    [Fact]
    public async Task A_notification_about_entries_already_read_adds_nothing()
    {
        var streams = new ChatStreams(_redis, _options);
        var jobId = Guid.NewGuid();
        var a = await streams.AppendAsync(jobId, new ChatStreamDelta { Content = "a" }); // before the reader: read with XRANGE
        await using var reader = streams.ReadAsync(jobId, null, TimeSpan.FromSeconds(20)).GetAsyncEnumerator();
        (await reader.MoveNextAsync()).ShouldBeTrue();
        reader.Current.Id.ShouldBe(a);

        await _redis.GetSubscriber().PublishAsync(RedisChannel.Literal(RedisKeys.JobStreamChannel(jobId)), $"\n{a}\n{{\"content\":\"a\"}}");
        await streams.AppendAsync(jobId, new ChatStreamDelta { Content = "b" });
        await streams.AppendAsync(jobId, new ChatStreamDelta { Done = true });

        var rest = new List<string?>();
        while (await reader.MoveNextAsync())
        {
            rest.Add(reader.Current.Delta.Content);
        }

        rest.ShouldBe(["b", null]);
    }

    [Fact]
    public async Task An_append_notifies_the_gateway_channel_it_names_with_the_jobs_prefix_and_the_same_notification()
    {
        var streams = new ChatStreams(_redis, _options);
        var jobId = Guid.NewGuid();
        var gateway = RedisKeys.SynchronousReplies(Guid.NewGuid());
        var own = await NotificationsAsync(jobId);
        var heard = await ChannelAsync(gateway);

        var ids = await streams.AppendAsync(jobId, [new ChatStreamDelta { Role = "assistant" }, new ChatStreamDelta { Content = "Hi" }], gateway);

        var message = (await heard.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20))).Message;
        SynchronousReplies.TryParseStreamNotice(message, out var id, out var notice).ShouldBeTrue();
        id.ShouldBe(jobId);
        var lines = ((string)notice!).Split('\n');
        lines.ShouldBe(await NextNoteAsync(own)); // the job's own channel still gets it (resuming readers subscribe there)
        lines[1].ShouldBe(ids[0]);
        lines[3].ShouldBe(ids[1]);
        SynchronousReplies.TryParse(message, out _, out _, out _).ShouldBeFalse(); // never read as a synchronous answer
    }

    [Fact]
    public async Task An_append_publishes_on_no_channel_but_the_platforms_own()
    {
        var streams = new ChatStreams(_redis, _options);
        var elsewhere = "not-a-reply-channel:" + Guid.NewGuid().ToString("N");
        var heard = await ChannelAsync(elsewhere);

        await streams.AppendAsync(Guid.NewGuid(), new ChatStreamDelta { Content = "x" }, elsewhere);
        await _redis.GetSubscriber().PublishAsync(RedisChannel.Literal(elsewhere), "after"); // Redis runs both in order

        ((string)(await heard.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20))).Message!).ShouldBe("after");
    }

    [Fact]
    public async Task A_new_streams_reader_takes_its_entries_from_the_notices_routed_to_it_without_a_subscription()
    {
        var streams = new ChatStreams(_redis, _options);
        var jobId = Guid.NewGuid();
        var gateway = RedisKeys.SynchronousReplies(Guid.NewGuid());
        var notices = ChatStreams.CreateNotices();
        var routing = await _redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(gateway)); // what the gateway's SynchronousCalls does
        routing.OnMessage(m =>
        {
            if (SynchronousReplies.TryParseStreamNotice(m.Message, out var id, out var notice) && id == jobId)
            {
                notices.Writer.TryWrite(notice);
            }
        });
        await using var reader = streams.ReadNewAsync(jobId, notices, TimeSpan.FromSeconds(20)).GetAsyncEnumerator();
        var first = reader.MoveNextAsync();

        var ids = await streams.AppendAsync(jobId, [new ChatStreamDelta { Role = "assistant" }, new ChatStreamDelta { Content = "Hi" }], gateway);
        (await first).ShouldBeTrue();
        reader.Current.Id.ShouldBe(ids[0]);
        (await SubscribersAsync(jobId)).ShouldBe(0); // the job's own channel has nobody: nothing was subscribed
        (await reader.MoveNextAsync()).ShouldBeTrue();
        reader.Current.Delta.Content.ShouldBe("Hi");
        await streams.AppendAsync(jobId, new ChatStreamDelta { Done = true }, gateway);
        (await reader.MoveNextAsync()).ShouldBeTrue();
        reader.Current.Delta.Done.ShouldBeTrue();
        (await reader.MoveNextAsync()).ShouldBeFalse();
        await routing.UnsubscribeAsync();
    }

    [Fact]
    public async Task A_new_streams_reader_whose_adapter_notifies_only_the_jobs_channel_polls_then_subscribes_there()
    {
        // An older adapter: nothing comes on the gateway's channel. The fallback poll finds the first entries; from then on
        // the reader hears the job's own channel.
        var streams = new ChatStreams(_redis, _options);
        var jobId = Guid.NewGuid();
        await using var reader = streams.ReadNewAsync(jobId, ChatStreams.CreateNotices(), TimeSpan.FromSeconds(20)).GetAsyncEnumerator();
        var first = reader.MoveNextAsync();

        await streams.AppendAsync(jobId, [new ChatStreamDelta { Role = "assistant" }, new ChatStreamDelta { Content = "a" }]);
        (await first).ShouldBeTrue();
        reader.Current.Delta.Role.ShouldBe("assistant");
        (await reader.MoveNextAsync()).ShouldBeTrue();
        reader.Current.Delta.Content.ShouldBe("a");
        (await SubscribersAsync(jobId)).ShouldBe(1);
        var next = reader.MoveNextAsync();
        await streams.AppendAsync(jobId, new ChatStreamDelta { Content = "b" });
        (await next).ShouldBeTrue();
        reader.Current.Delta.Content.ShouldBe("b");
        await streams.AppendAsync(jobId, new ChatStreamDelta { Done = true });
        (await reader.MoveNextAsync()).ShouldBeTrue();
        reader.Current.Delta.Done.ShouldBeTrue();
        (await reader.MoveNextAsync()).ShouldBeFalse();
        await reader.DisposeAsync();
        (await SubscribersAsync(jobId)).ShouldBe(0); // unsubscribed when done
    }

    [Fact]
    public async Task A_silent_stream_times_out()
    {
        var streams = new ChatStreams(_redis, _options);

        await Should.ThrowAsync<TimeoutException>(async () =>
        {
            await foreach (var _ in streams.ReadAsync(Guid.NewGuid(), null, TimeSpan.FromMilliseconds(300)))
            {
            }
        });
    }

    [Fact]
    public async Task The_first_token_goes_out_at_once_and_later_chunks_that_arrived_together_in_one_append_before_a_wait_or_failure()
    {
        var streams = new ChatStreams(_redis, _options);
        var jobId = Guid.NewGuid();
        var notes = await NotificationsAsync(jobId);
        var more = new TaskCompletionSource();
        var batch = new ChatStreamBatch(streams, jobId);

        var relay = Task.Run(async () =>
        {
            await foreach (var text in batch.Relay(Upstream(more.Task)))
            {
                batch.Add(text == "a" ? new ChatStreamDelta { Role = "assistant" } : new ChatStreamDelta { Content = text });
            }
        });

        // The role and the first token go out together the moment the token is there, though "c" is there too.
        var first = await NextNoteAsync(notes);
        first.Length.ShouldBe(5);
        first[2].ShouldContain("\"assistant\"");
        first[4].ShouldContain("\"b\"");
        // "c" and "d" were there together: one notification with both, sent while the upstream waits for more.
        var second = await NextNoteAsync(notes);
        second.Length.ShouldBe(5);
        second[0].ShouldBe(first[3]);
        second[2].ShouldContain("\"c\"");
        second[4].ShouldContain("\"d\"");
        more.SetResult();

        // "e" came just before the upstream failed: it is in the stream before the failure reaches the consumer.
        (await Should.ThrowAsync<InvalidOperationException>(relay)).Message.ShouldBe("upstream dropped");
        var third = await NextNoteAsync(notes);
        third.Length.ShouldBe(3);
        third[2].ShouldContain("\"e\"");
        (await _redis.GetDatabase().StreamLengthAsync(RedisKeys.JobStream(jobId))).ShouldBe(5);
    }

    [Fact]
    public async Task Flushing_nothing_appends_nothing()
    {
        var streams = new ChatStreams(_redis, _options);
        var jobId = Guid.NewGuid();

        await new ChatStreamBatch(streams, jobId).FlushAsync();

        (await _redis.GetDatabase().KeyExistsAsync(RedisKeys.JobStream(jobId))).ShouldBeFalse();
    }

    private static async IAsyncEnumerable<string> Upstream(Task more, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        yield return "a";
        yield return "b";
        yield return "c";
        yield return "d";
        await more.WaitAsync(cancellationToken);
        yield return "e";
        throw new InvalidOperationException("upstream dropped");
    }

    private async Task<Channel<ChannelMessage>> NotificationsAsync(Guid jobId)
    {
        var queue = await _redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(RedisKeys.JobStreamChannel(jobId)));
        var notes = Channel.CreateUnbounded<ChannelMessage>();
        queue.OnMessage(message => notes.Writer.TryWrite(message));
        return notes;
    }

    /// <summary>The next notification's lines (bounded: a missing one fails the test rather than hanging it).</summary>
    private static async Task<string[]> NextNoteAsync(Channel<ChannelMessage> notes) =>
        ((string)(await notes.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20))).Message!).Split('\n');

    private async Task<Channel<ChannelMessage>> ChannelAsync(string name)
    {
        var queue = await _redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(name));
        var messages = Channel.CreateUnbounded<ChannelMessage>();
        queue.OnMessage(message => messages.Writer.TryWrite(message));
        return messages;
    }

    /// <summary>How many subscribe to the job's own channel (PUBSUB NUMSUB).</summary>
    private async Task<long> SubscribersAsync(Guid jobId) =>
        (long)(await _redis.GetServer(_redis.GetEndPoints()[0]).ExecuteAsync("PUBSUB", "NUMSUB", RedisKeys.JobStreamChannel(jobId)))[1];

    /// <summary>Until the reader's subscription is in place (PUBSUB NUMSUB counts it), so what is published next reaches it.</summary>
    private async Task WaitForSubscriberAsync(Guid jobId)
    {
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        var channel = RedisKeys.JobStreamChannel(jobId);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while ((long)(await server.ExecuteAsync("PUBSUB", "NUMSUB", channel))[1] == 0)
        {
            await Task.Delay(10, deadline.Token);
        }
    }

    private static async Task<List<(string Id, ChatStreamDelta Delta)>> ReadAllAsync(ChatStreams streams, Guid jobId, string? after)
    {
        var read = new List<(string Id, ChatStreamDelta Delta)>();
        await foreach (var entry in streams.ReadAsync(jobId, after, TimeSpan.FromSeconds(20)))
        {
            read.Add(entry);
        }

        return read;
    }
}

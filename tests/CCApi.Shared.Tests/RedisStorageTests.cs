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
}

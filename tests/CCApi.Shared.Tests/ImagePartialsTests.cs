using CCApi.Storage;
using CCApi.Testing;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CCApi.Shared.Tests;

/// <summary>A streamed image job's partials against the real Redis: stored briefly, announced in order to the job's subscribers only, best effort.</summary>
public sealed class ImagePartialsTests : IAsyncLifetime
{
    private ConnectionMultiplexer _redis = null!;
    private readonly IOptions<RedisOptions> _options = Options.Create(new RedisOptions { ConnectionString = TestInfrastructure.Redis });

    public async Task InitializeAsync() => _redis = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);

    public Task DisposeAsync()
    {
        _redis.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_subscriber_gets_its_jobs_partials_in_order_each_a_short_lived_blob_and_nothing_of_other_jobs()
    {
        var blobs = new RedisBlobStore(_redis, _options);
        var partials = new ImagePartials(_redis, blobs);
        var (job, other) = (Guid.NewGuid(), Guid.NewGuid());
        await using var subscription = await partials.SubscribeAsync(job);

        (await partials.PublishAsync(other, 0, new byte[] { 9 }, "image/png")).ShouldBeTrue();
        for (var i = 0; i < 3; i++)
        {
            (await partials.PublishAsync(job, i, new byte[] { (byte)i, 1, 2 }, "image/webp")).ShouldBeTrue();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 3; i++)
        {
            var partial = await subscription.Reader.ReadAsync(timeout.Token);
            partial.Index.ShouldBe(i);
            partial.Blob.ContentType.ShouldBe("image/webp");
            (await blobs.GetAsync(partial.Blob.Id)).ShouldNotBeNull().Bytes.ShouldBe(new byte[] { (byte)i, 1, 2 });
            var ttl = (await _redis.GetDatabase().KeyTimeToLiveAsync(RedisKeys.Blob(partial.Blob.Id))).ShouldNotBeNull();
            ttl.ShouldBeInRange(ImagePartials.BlobTtl - TimeSpan.FromSeconds(30), ImagePartials.BlobTtl);
        }

        await Task.Delay(200);
        subscription.Reader.TryRead(out _).ShouldBeFalse(); // the other job's partial never reached this subscriber
    }

    [Fact]
    public async Task After_unsubscribing_nothing_more_arrives_and_the_reader_completes()
    {
        var partials = new ImagePartials(_redis, new RedisBlobStore(_redis, _options));
        var job = Guid.NewGuid();
        var subscription = await partials.SubscribeAsync(job);

        await subscription.DisposeAsync();
        await partials.PublishAsync(job, 0, new byte[] { 1 }, "image/png");

        (await subscription.Reader.WaitToReadAsync()).ShouldBeFalse();
    }

    [Fact]
    public async Task Publishing_while_redis_is_unreachable_is_false_not_an_exception()
    {
        var config = ConfigurationOptions.Parse("127.0.0.1:1");
        config.AbortOnConnectFail = false;
        config.ConnectTimeout = 200;
        config.AsyncTimeout = 500;
        await using var unreachable = await ConnectionMultiplexer.ConnectAsync(config);
        var partials = new ImagePartials(unreachable, new RedisBlobStore(unreachable, _options));

        (await partials.PublishAsync(Guid.NewGuid(), 0, new byte[] { 1 }, "image/png")).ShouldBeFalse();
    }
}

using CCApi.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;
using StackExchange.Redis;

namespace CCApi.Storage;

public static class RedisRegistration
{
    /// <summary>One multiplexer per process (never per request), its readiness check, and the stores built on it.</summary>
    public static IHostApplicationBuilder AddRedisStorage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RedisOptions>()
            .BindConfiguration(RedisOptions.SectionName)
            .Configure<IConfiguration>((o, config) =>
            {
                o.ConnectionString ??= config.GetConnectionString("Redis");
                // A chat stream lives as long as a job record (Jobs:Ttl) unless Redis:StreamTtl says otherwise.
                if (config[$"{RedisOptions.SectionName}:{nameof(RedisOptions.StreamTtl)}"] is null
                    && config.GetValue<TimeSpan?>("Jobs:Ttl") is { } jobsTtl)
                {
                    o.StreamTtl = jobsTtl;
                }
            })
            .ValidateAttributes(new RedisOptionsValidator())
            .ValidateOnStart();
        builder.Services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RedisOptions>>().Value;
            var config = ConfigurationOptions.Parse(options.ConnectionString!);
            config.AbortOnConnectFail = false; // keep retrying in the background; readiness reports the outage
            config.ConnectTimeout = 5000;
            // RESP2 on purpose (3.x would negotiate RESP3): pub/sub keeps its own connection, so a burst of chat-stream
            // notifications never queues ahead of a command's reply on the interactive socket, and RESP2 is what every
            // Redis-compatible server, proxy and managed offering speaks. RESP3 measured within noise of it here
            // (bench/results/2026-12-04-redis-client.md).
            config.Protocol = RedisProtocol.Resp2;
            return ConnectionMultiplexer.Connect(config);
        });
        // One span per Redis command, under the request that issued it, when Redis__Tracing=true (off by default: see RedisOptions).
        if (builder.Configuration.GetValue<bool>($"{RedisOptions.SectionName}:{nameof(RedisOptions.Tracing)}"))
        {
            builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddRedisInstrumentation());
        }
        builder.Services.AddSingleton<IBlobStore, RedisBlobStore>();
        builder.Services.AddSingleton<ChatStreams>();
        builder.Services.AddSingleton<ImagePartials>();
        builder.Services.AddSingleton<SpeechChunks>();
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: [HealthTags.Ready]);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IApiErrorMapping, RedisErrorMapping>()); // outage: 503, not 500
        return builder;
    }
}

internal sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await redis.GetDatabase().PingAsync();
            return HealthCheckResult.Healthy($"PING {latency.TotalMilliseconds:0.0} ms");
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("Redis is unreachable.", ex);
        }
    }
}

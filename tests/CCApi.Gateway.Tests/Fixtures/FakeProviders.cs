using System.Collections.Concurrent;
using CCApi.Contracts;
using CCApi.Messaging;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CCApi.Gateway.Tests.Fixtures;

/// <summary>
/// Plays the adapters and JobStatus on a bus of its own, on the real queue names ("local-chat", "openai-chat",
/// "local-image", "local-image-async", "local-speech", …) and the real RegisterJob request. Behaviour is scripted by markers in the prompt:
/// <list type="bullet">
/// <item>[fail:NNN] → JobFailed with that status; [openai-fails] → the openai provider answers 502</item>
/// <item>[fault] → the consumer throws (a MassTransit fault); [redis-fault] → it throws a Redis timeout; [hang] → no answer at all</item>
/// <item>[tools] → a tool call; streaming: [stream-error-after-content], [stream-tools], [stream-stall]</item>
/// <item>images: a synchronous command with partial images gets them (<see cref="PartialPng"/>, per image) before its answer,
/// a failure included; [no-partials] → none; [slow-result] → the answer comes 300 ms after them; [hang] → no answer</item>
/// <item>speech: a command whose caller plays the audio (<c>StreamAudio</c>) gets it in three pieces (<see cref="SpeechChunks"/>)
/// before its answer; [fail-after-audio] → the failure ([fail:NNN]) after two of them; [no-audio-chunks] → none; [blob-gone] → the answer's audio blob does not exist; [audio-gap] → the second piece is never published;
/// [held] → the answer waits for <see cref="ReleaseHeldChats"/> after the first piece; [hang] → no answer after it</item>
/// </list>
/// Every command received is recorded by job id.
/// </summary>
public sealed class FakeProviders : IAsyncDisposable
{
    public static readonly byte[] Png = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");

    /// <summary>What a fake partial image is: another 1×1 PNG (red), told apart from <see cref="Png"/>.</summary>
    public static readonly byte[] PartialPng = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC");

    private readonly IBusControl _bus;
    private readonly IBlobStore _blobs;
    private readonly ImagePartials _partials;
    private readonly SpeechChunks _audio;
    private readonly ChatStreams _streams;
    private readonly StubInternalServices _internal;
    private readonly SynchronousReplyPublisher _replies;

    private FakeProviders(IConnectionMultiplexer redis, StubInternalServices internalServices)
    {
        _replies = new SynchronousReplyPublisher(redis);
        var options = Options.Create(new RedisOptions { ConnectionString = TestInfrastructure.Redis });
        _blobs = new RedisBlobStore(redis, options);
        _partials = new ImagePartials(redis, _blobs);
        _audio = new SpeechChunks(redis);
        _streams = new ChatStreams(redis, options);
        _internal = internalServices;
        var address = AmqpAddress.Parse(TestInfrastructure.RabbitMq("gateway"));
        _bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(address.Host, address.Port, address.VirtualHost, h =>
            {
                h.Username(address.Username);
                h.Password(address.Password);
            });
            foreach (var provider in new[] { "local", "openai" })
            {
                cfg.ReceiveEndpoint(Queues.For(provider, JobKind.Chat), e =>
                {
                    e.DiscardFaultedMessages(); // [fault] is on purpose; keep no _error queue growing
                    e.Handler<ChatCompletion>(ctx => ChatAsync(ctx, provider));
                });
            }

            foreach (var provider in new[] { "local", "openai", "stabilityai", "imaginepro" })
            {
                cfg.ReceiveEndpoint(Queues.For(provider, JobKind.Image), e => e.Handler<GenerateImage>(ImageAsync));
            }

            // Async jobs have a queue of their own; imaginepro's stand-in plays an adapter from before it (only "-image").
            cfg.ReceiveEndpoint(Queues.ForAsyncImages("local"), e => e.Handler<GenerateImage>(ImageAsync));

            cfg.ReceiveEndpoint(Queues.For("local", JobKind.Speech), e => e.Handler<Speech>(SpeechAsync));
            cfg.ReceiveEndpoint("gateway-tests-jobstatus", e =>
            {
                e.Handler<RegisterJob>(RegisterAsync);
                e.Handler<JobFailed>(ctx =>
                {
                    FailedEvents[ctx.Message.JobId] = ctx.Message;
                    return Task.CompletedTask;
                });
                e.Handler<JobCanceled>(ctx =>
                {
                    CanceledEvents[ctx.Message.JobId] = ctx.Message;
                    return Task.CompletedTask;
                });
            });
        });
    }

    public ConcurrentDictionary<Guid, ChatCompletion> ChatCommands { get; } = new();

    /// <summary>Whether each chat command reached its queue as a persistent message (RabbitMQ's delivery mode 2).</summary>
    public ConcurrentDictionary<Guid, bool> ChatCommandPersistent { get; } = new();
    /// <summary>Each chat command's RabbitMQ expiration (its time to live in milliseconds), null when it has none.</summary>
    public ConcurrentDictionary<Guid, string?> ChatCommandExpiration { get; } = new();

    /// <summary>The channel each chat command named for its answer or its stream's notifications (<see cref="SynchronousReplies.ChannelHeader"/>).</summary>
    public ConcurrentDictionary<Guid, string?> ChatCommandChannel { get; } = new();
    public ConcurrentDictionary<Guid, GenerateImage> ImageCommands { get; } = new();

    /// <summary>The queue each image command came on ("local-image", "local-image-async", …).</summary>
    public ConcurrentDictionary<Guid, string> ImageCommandQueues { get; } = new();
    public ConcurrentDictionary<Guid, Speech> SpeechCommands { get; } = new();
    public ConcurrentDictionary<Guid, RegisterJob> Registrations { get; } = new();

    /// <summary>How long JobStatus' stand-in takes to answer RegisterJob (a test that sets it puts it back to zero).</summary>
    public TimeSpan RegisterDelay { get; set; }

    /// <summary>Makes JobStatus' stand-in fault on RegisterJob (a test that sets it puts it back to false).</summary>
    public bool RegisterFaults { get; set; }
    public ConcurrentDictionary<Guid, JobFailed> FailedEvents { get; } = new();
    public ConcurrentDictionary<Guid, JobCanceled> CanceledEvents { get; } = new();

    /// <summary>Lets a test hold a chat containing "[held]" until it releases it.</summary>
    public TaskCompletionSource ReleaseHeldChats { get; set; } = NewRelease();

    /// <summary>The chats answered with ChatCompleted (the response sent).</summary>
    public ConcurrentDictionary<Guid, bool> AnsweredChats { get; } = new();

    /// <summary>Request ids of the chats answered on the gateway's Redis channel (not on the bus).</summary>
    public ConcurrentDictionary<Guid, bool> AnsweredOnRedis { get; } = new();

    /// <summary>Lets a test hold an async job in "processing" until it releases it.</summary>
    public TaskCompletionSource ReleaseAsyncJobs { get; set; } = NewRelease();

    public IBus Bus => _bus;

    public static TaskCompletionSource NewRelease() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<FakeProviders> StartAsync(IConnectionMultiplexer redis, StubInternalServices internalServices)
    {
        var fake = new FakeProviders(redis, internalServices);
        await fake._bus.StartAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        return fake;
    }

    public ChatCompletion? FindChat(string marker) =>
        ChatCommands.Values.FirstOrDefault(c => c.Messages.Any(m => m.Content?.Contains(marker, StringComparison.Ordinal) == true
            || m.ContentPartsJson?.Contains(marker, StringComparison.Ordinal) == true));

    private async Task ChatAsync(ConsumeContext<ChatCompletion> context, string provider)
    {
        var command = context.Message;
        ChatCommands[command.JobId] = command;
        ChatCommandChannel[command.JobId] = context.Headers.Get<string>(SynchronousReplies.ChannelHeader);
        if (context.TryGetPayload<RabbitMqBasicConsumeContext>(out var delivery))
        {
            ChatCommandPersistent[command.JobId] = delivery.Properties.Persistent;
            ChatCommandExpiration[command.JobId] = delivery.Properties.Expiration;
        }
        var text = string.Join("\n", command.Messages.Select(m => m.Content ?? m.ContentPartsJson ?? ""));
        var failure = Failure(text, provider);
        if (command.Stream)
        {
            // "[legacy-adapter]": an adapter that notifies only the job's own channel, not the gateway's (an older version).
            var gateway = text.Contains("[legacy-adapter]", StringComparison.Ordinal) ? null : context.Headers.Get<string>(SynchronousReplies.ChannelHeader);
            await StreamAsync(command, text, failure, gateway);
            return;
        }

        if (text.Contains("[hang]", StringComparison.Ordinal))
        {
            return;
        }

        if (text.Contains("[held]", StringComparison.Ordinal))
        {
            await ReleaseHeldChats.Task; // answered below, late, once the test releases it
        }

        if (text.Contains("[fault]", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("fake adapter crashed");
        }

        if (text.Contains("[redis-fault]", StringComparison.Ordinal))
        {
            throw new StackExchange.Redis.RedisTimeoutException(StackExchange.Redis.CommandFlags.None, "fake adapter lost Redis", StackExchange.Redis.CommandStatus.Unknown);
        }

        if (failure is not null)
        {
            await AnswerAsync(context, new JobFailed { JobId = command.JobId, Timestamp = DateTimeOffset.UtcNow, Route = command.Route, Kind = JobKind.Chat, Error = failure });
            return;
        }

        var message = text.Contains("[tools]", StringComparison.Ordinal) && command.Tools is { Count: > 0 } tools
            ? new ChatMessage
            {
                Role = "assistant",
                ToolCalls = [new ToolCall { Id = "call_1", Name = tools[0].Name, Arguments = """{"city":"Paris"}""" }],
            }
            : new ChatMessage { Role = "assistant", Content = $"{provider} says: {command.Messages[^1].Content}" };
        await AnswerAsync(context, new ChatCompleted
        {
            JobId = command.JobId,
            Timestamp = DateTimeOffset.UtcNow,
            Route = command.Route,
            Choices = [new ChatChoice { Index = 0, Message = message, FinishReason = message.ToolCalls is null ? "stop" : "tool_calls" }],
            Usage = Priced(command.Route, promptTokens: 7, completionTokens: 5) with { CachedPromptTokens = Details(text).Cached, ReasoningTokens = Details(text).Reasoning },
            SystemFingerprint = "fp_fake",
            ProviderDuration = TimeSpan.FromMilliseconds(1), // as a real adapter reports it, for the overhead metric
        });
        AnsweredChats[command.JobId] = true;
    }

    /// <summary>
    /// A chat's answer as the adapters give it (AdapterOutcomes): on the Redis channel the gateway named, else on the bus
    /// without waiting for the confirm. (The fake image and speech providers answer on the bus: the gateway's other way.)
    /// </summary>
    private async Task AnswerAsync<T>(ConsumeContext context, T outcome)
        where T : class
    {
        if (await _replies.TryReplyAsync(context.RequestId, context.Headers.Get<string>(SynchronousReplies.ChannelHeader), outcome))
        {
            AnsweredOnRedis[context.RequestId!.Value] = true;
            return;
        }

        await context.RespondAsync(outcome, static send => send.TrySetAwaitAck(false));
    }

    private async Task StreamAsync(ChatCompletion command, string text, ErrorInfo? failure, string? gateway)
    {
        var id = command.JobId;
        if (failure is not null)
        {
            await _streams.AppendAsync(id, new ChatStreamDelta { Error = failure }, gateway);
            return;
        }

        await _streams.AppendAsync(id, new ChatStreamDelta { Role = "assistant" }, gateway);
        if (text.Contains("[stream-error-after-content]", StringComparison.Ordinal))
        {
            await _streams.AppendAsync(id, new ChatStreamDelta { Content = "partial" }, gateway);
            await _streams.AppendAsync(id, new ChatStreamDelta
            {
                Error = new ErrorInfo { Status = 502, Type = ErrorTypes.Api, Code = ErrorCodes.ProviderError, Message = "upstream broke" },
            }, gateway);
            return;
        }

        if (text.Contains("[stream-stall]", StringComparison.Ordinal))
        {
            await _streams.AppendAsync(id, new ChatStreamDelta { Content = "first" }, gateway);
            return;
        }

        string finish;
        if (text.Contains("[stream-tools]", StringComparison.Ordinal))
        {
            await _streams.AppendAsync(id, new ChatStreamDelta { ToolCalls = [new ToolCallDelta { Index = 0, Id = "call_9", Name = "get_weather" }] }, gateway);
            await _streams.AppendAsync(id, new ChatStreamDelta { ToolCalls = [new ToolCallDelta { Index = 0, ArgumentsFragment = "{\"city\":" }] }, gateway);
            await _streams.AppendAsync(id, new ChatStreamDelta { ToolCalls = [new ToolCallDelta { Index = 0, ArgumentsFragment = "\"Paris\"}" }] }, gateway);
            finish = "tool_calls";
        }
        else
        {
            await _streams.AppendAsync(id, new ChatStreamDelta { Content = "Hello" }, gateway);
            await _streams.AppendAsync(id, new ChatStreamDelta { Content = " world" }, gateway);
            finish = "stop";
        }

        await _streams.AppendAsync(id, new ChatStreamDelta { FinishReason = finish }, gateway);
        await _streams.AppendAsync(id, new ChatStreamDelta
        {
            Usage = Priced(command.Route, promptTokens: 3, completionTokens: 2) with { CachedPromptTokens = Details(text).Cached, ReasoningTokens = Details(text).Reasoning },
        }, gateway);
        await _streams.AppendAsync(id, new ChatStreamDelta { Done = true }, gateway);
    }

    private async Task ImageAsync(ConsumeContext<GenerateImage> context)
    {
        var command = context.Message;
        ImageCommandQueues[command.JobId] = context.ReceiveContext.InputAddress.Segments[^1];
        ImageCommands[command.JobId] = command;
        var failure = Failure(command.Prompt, command.Route.Provider);
        if (command.Async)
        {
            _ = Task.Run(() => RunAsyncJobAsync(command, failure));
            return;
        }

        if (!command.Prompt.Contains("[no-partials]", StringComparison.Ordinal))
        {
            for (var i = 0; i < command.NumImages; i++)
            {
                for (var k = 0; k < command.PartialImages; k++)
                {
                    await _partials.PublishAsync(command.JobId, k, PartialPng, "image/png");
                }
            }

            if (command.PartialImages > 0 && command.Prompt.Contains("[slow-result]", StringComparison.Ordinal))
            {
                await Task.Delay(300);
            }
        }

        if (command.Prompt.Contains("[hang]", StringComparison.Ordinal))
        {
            return; // no answer: the gateway times out, or its client leaves
        }

        if (failure is not null)
        {
            await context.RespondAsync(new JobFailed { JobId = command.JobId, Timestamp = DateTimeOffset.UtcNow, Route = command.Route, Kind = JobKind.Image, Error = failure });
            return;
        }

        var images = await GenerateAsync(command);
        var gptImage = command.Route.ProviderModel.StartsWith("gpt-image", StringComparison.Ordinal);
        await context.RespondAsync(new ImageGenerated
        {
            JobId = command.JobId,
            Timestamp = DateTimeOffset.UtcNow,
            Route = command.Route,
            Operation = command.Operation,
            Images = images,
            RevisedPrompt = "revised: " + command.Prompt,
            // gpt-image reports its tokens and what it made, as the OpenAI adapter passes them on (the tier it used for "auto": high)
            Usage = Priced(command.Route, images: images.Count) with { PromptTokens = gptImage ? 50 : 0, CompletionTokens = gptImage ? 272 : 0, TotalTokens = gptImage ? 322 : 0 },
            Output = gptImage
                ? new ImageOutput { Size = $"{command.Width}x{command.Height}", Quality = command.Quality is null or "auto" ? "high" : command.Quality, Background = "opaque", OutputFormat = command.OutputFormat ?? "png" }
                : null,
        });
    }

    private async Task<List<GeneratedImage>> GenerateAsync(GenerateImage command)
    {
        var images = new List<GeneratedImage>();
        for (var i = 0; i < command.NumImages; i++)
        {
            images.Add(new GeneratedImage { Blob = await _blobs.PutAsync(Png, "image/png"), Seed = (command.Seed ?? 42) + i });
        }

        return images;
    }

    /// <summary>The async flow as the adapter + JobStatus would drive it: processing (50%), then completed or failed.</summary>
    private async Task RunAsyncJobAsync(GenerateImage command, ErrorInfo? failure)
    {
        if (!_internal.Jobs.ContainsKey(command.JobId))
        {
            return;
        }

        UpdateJob(command.JobId, job =>
        {
            job["state"] = "processing";
            job["progress"] = 50;
        });
        await ReleaseAsyncJobs.Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (failure is not null)
        {
            UpdateJob(command.JobId, job =>
            {
                job["state"] = "failed";
                job["error"] = new JsonObject
                {
                    ["message"] = failure.Message,
                    ["type"] = failure.Type,
                    ["code"] = failure.Code,
                    ["status"] = failure.Status,
                    ["details"] = new JsonObject { ["param"] = "contents" },
                };
            });
            return;
        }

        var images = await GenerateAsync(command);
        UpdateJob(command.JobId, job =>
        {
            job["images"] = new JsonArray(images.Select(i => (JsonNode)new JsonObject
            {
                ["blob"] = new JsonObject { ["id"] = i.Blob.Id, ["content_type"] = i.Blob.ContentType, ["length"] = i.Blob.Length },
                ["seed"] = i.Seed,
                ["revised_prompt"] = "revised: " + command.Prompt,
            }).ToArray());
            job["progress"] = 100;
            job["state"] = "completed";
            job["usage"] = new JsonObject { ["images"] = images.Count, ["cost"] = Priced(command.Route, images: images.Count).Cost };
        });
    }

    /// <summary>Copy, change, replace: the stub serves the job concurrently, so a served object is never mutated.</summary>
    private void UpdateJob(Guid id, Action<JsonObject> change)
    {
        var copy = _internal.Jobs[id].DeepClone().AsObject();
        change(copy);
        _internal.Jobs[id] = copy;
    }

    private async Task SpeechAsync(ConsumeContext<Speech> context)
    {
        var command = context.Message;
        SpeechCommands[command.JobId] = command;
        var failure = Failure(command.Input, "local");
        var bytes = System.Text.Encoding.ASCII.GetBytes("FAKE-AUDIO-" + command.Format);
        var relay = command.StreamAudio && !command.Input.Contains("[no-audio-chunks]", StringComparison.Ordinal)
            && (failure is null || command.Input.Contains("[fail-after-audio]", StringComparison.Ordinal));
        if (relay)
        {
            // Three pieces, as a provider delivering audio progressively relays them: "FAKE-", "AUDIO-", the format.
            await _audio.PublishAsync(command.JobId, 0, bytes.AsMemory(0, 5));
            if (command.Input.Contains("[held]", StringComparison.Ordinal))
            {
                await ReleaseHeldChats.Task;
            }

            if (command.Input.Contains("[hang]", StringComparison.Ordinal))
            {
                return; // no answer: the gateway times out, or its client leaves
            }

            if (!command.Input.Contains("[audio-gap]", StringComparison.Ordinal))
            {
                await _audio.PublishAsync(command.JobId, 5, bytes.AsMemory(5, 6));
            }

            if (failure is null)
            {
                await _audio.PublishAsync(command.JobId, 11, bytes.AsMemory(11));
            }
        }

        if (failure is not null)
        {
            await context.RespondAsync(new JobFailed { JobId = command.JobId, Timestamp = DateTimeOffset.UtcNow, Route = command.Route, Kind = JobKind.Speech, Error = failure });
            return;
        }

        var audio = command.Input.Contains("[blob-gone]", StringComparison.Ordinal)
            ? new BlobRef { Id = RedisBlobStore.NewId(), ContentType = "audio/" + command.Format, Length = bytes.Length } // expired before it is read
            : await _blobs.PutAsync(bytes, "audio/" + command.Format);
        await context.RespondAsync(new SpeechSynthesized
        {
            JobId = command.JobId,
            Timestamp = DateTimeOffset.UtcNow,
            Route = command.Route,
            Audio = audio,
            Format = command.Format,
            DurationSeconds = 1.5,
            Usage = Priced(command.Route, characters: command.Input.Length),
        });
    }

    private async Task RegisterAsync(ConsumeContext<RegisterJob> context)
    {
        var job = context.Message;
        Registrations[job.JobId] = job;
        if (RegisterFaults)
        {
            throw new InvalidOperationException("fake JobStatus could not write the job");
        }

        if (RegisterDelay > TimeSpan.Zero)
        {
            await Task.Delay(RegisterDelay);
        }

        _internal.Jobs[job.JobId] = StubInternalServices.JobView(new
        {
            Id = job.JobId.ToString("N"),
            OwnerId = job.Route.OwnerId,
            Kind = "image",
            State = "pending",
            Mode = job.Mode,
            Model = job.Route.Model,
            Provider = job.Route.Provider,
            Operation = job.Operation,
            Created = job.Timestamp.ToUnixTimeSeconds(),
            Updated = job.Timestamp.ToUnixTimeSeconds(),
            Progress = 0,
            EstimatedSeconds = job.EstimatedSeconds,
            ResponseFormat = job.ResponseFormat,
        });
        await context.RespondAsync(new JobRegistered { JobId = job.JobId, Timestamp = DateTimeOffset.UtcNow });
    }

    /// <summary>"[usage-details]": the provider reports prompt tokens served from its cache and reasoning tokens (as OpenAI does).</summary>
    private static (int Cached, int Reasoning) Details(string text) =>
        text.Contains("[usage-details]", StringComparison.Ordinal) ? (2, 1) : (0, 0);

    /// <summary>Usage priced with the catalog price the command carries, as every real adapter does (UsagePricing).</summary>
    public static Usage Priced(JobRoute route, int promptTokens = 0, int completionTokens = 0, int images = 0, int characters = 0)
    {
        var pricing = route.Pricing;
        return new Usage
        {
            PromptTokens = promptTokens,
            CompletionTokens = completionTokens,
            TotalTokens = promptTokens + completionTokens,
            Images = images,
            Characters = characters,
            Cost = (promptTokens * (pricing?.InputPerMillion ?? 0m) / 1_000_000m) + (completionTokens * (pricing?.OutputPerMillion ?? 0m) / 1_000_000m)
                + (images * (pricing?.PerImage ?? 0m)) + (characters * (pricing?.PerCharacter ?? 0m)),
        };
    }

    private static ErrorInfo? Failure(string text, string provider)
    {
        if (provider == "openai" && text.Contains("[openai-fails]", StringComparison.Ordinal))
        {
            return new ErrorInfo { Status = 502, Type = ErrorTypes.Api, Code = ErrorCodes.ProviderError, Message = "openai is down" };
        }

        var start = text.IndexOf("[fail:", StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        var status = int.Parse(text.AsSpan(start + 6, 3), System.Globalization.CultureInfo.InvariantCulture);
        return new ErrorInfo
        {
            Status = status,
            Type = status < 500 ? ErrorTypes.InvalidRequest : ErrorTypes.Api,
            Code = status < 500 ? ErrorCodes.InvalidRequest : ErrorCodes.ProviderError,
            Message = $"fake provider failed with {status}",
            Details = status < 500 ? new Dictionary<string, string> { ["param"] = "voice" } : null,
        };
    }

    public async ValueTask DisposeAsync() => await _bus.StopAsync();
}

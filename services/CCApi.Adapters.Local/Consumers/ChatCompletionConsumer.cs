using System.Diagnostics;
using CCApi.Adapters.Hosting;
using CCApi.Adapters.Local.Chat;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;
using StackExchange.Redis;

namespace CCApi.Adapters.Local.Consumers;

/// <summary>
/// echo-1. Non-streaming: through the <see cref="AdapterJobRunner"/> like every adapter's jobs, responds (and publishes)
/// <see cref="ChatCompleted"/> or <see cref="JobFailed"/>. Streaming:
/// appends role, content or tool-call deltas, finish reason, usage and done to the job's Redis stream, then publishes
/// the outcome.
/// </summary>
public sealed partial class ChatCompletionConsumer(ChatStreams streams, StreamingChatJobs streaming, AdapterJobRunner runner, ILogger<ChatCompletionConsumer> logger)
    : IConsumer<ChatCompletion>
{
    public async Task Consume(ConsumeContext<ChatCompletion> context)
    {
        var command = context.Message;
        using var call = AdapterTelemetry.Start(command, ActivityKind.Internal);

        if (command.Stream)
        {
            await StreamAsync(context, call);
            return;
        }

        await runner.RunAsync(context, JobKind.Chat, "local-chat", call, _ => Task.FromResult(Completed(command, EchoModel.Complete(command))));
    }

    private async Task StreamAsync(ConsumeContext<ChatCompletion> context, ProviderCall call)
    {
        var command = context.Message;
        if (await streaming.HandleRedeliveryAsync(context, call,
            () => Task.FromResult<ChatCompleted?>(Completed(context.Message, EchoModel.Complete(context.Message))), // echo-1 is deterministic
            UpstreamErrors.ProviderFailed(command.Route.Provider, "The stream was interrupted by an adapter restart.")))
        {
            return;
        }

        try
        {
            if (AdapterOutcomes.IsPastDeadline(command.Deadline))
            {
                throw new UpstreamException(UpstreamErrors.DeadlinePassed(command.Route.Provider));
            }

            var reply = EchoModel.Complete(command);
            var completed = Completed(command, reply);
            var jobId = command.JobId;
            var gateway = StreamingChatJobs.GatewayChannel(context);

            foreach (var choice in completed.Choices) // one after another, each delta marked with its choice
            {
                var index = choice.Index;
                await streams.AppendAsync(jobId, new ChatStreamDelta { Choice = index, Role = "assistant" }, gateway);
                if (choice.Message.ToolCalls is { } calls)
                {
                    for (var i = 0; i < calls.Count; i++)
                    {
                        await streams.AppendAsync(jobId, new ChatStreamDelta { Choice = index, ToolCalls = [new ToolCallDelta { Index = i, Id = calls[i].Id, Name = calls[i].Name, ArgumentsFragment = "" }] }, gateway);
                        foreach (var fragment in EchoModel.ArgumentFragments(calls[i].Arguments))
                        {
                            await streams.AppendAsync(jobId, new ChatStreamDelta { Choice = index, ToolCalls = [new ToolCallDelta { Index = i, ArgumentsFragment = fragment }] }, gateway);
                        }
                    }
                }
                else
                {
                    foreach (var chunk in EchoModel.ContentChunks(choice.Message.Content ?? ""))
                    {
                        await streams.AppendAsync(jobId, new ChatStreamDelta { Choice = index, Content = chunk }, gateway);
                    }
                }

                await streams.AppendAsync(jobId, new ChatStreamDelta { Choice = index, FinishReason = choice.FinishReason }, gateway);
            }

            await streams.AppendAsync(jobId, new ChatStreamDelta { Usage = completed.Usage }, gateway);
            await streams.AppendAsync(jobId, new ChatStreamDelta { Done = true }, gateway);

            await streaming.CompletedAsync(context, call.Succeeded(completed));
        }
        catch (UpstreamException ex)
        {
            await streaming.FailAsync(context, call, ex.Error);
        }
        catch (ApiException ex)
        {
            await streaming.FailAsync(context, call, ex.ToErrorInfo());
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not RedisException)
        {
            // A stream that has started cannot be retried without duplicating chunks: end it with an explicit error.
            LogStreamFailed(logger, ex, command.JobId);
            await streaming.FailAsync(context, call, UpstreamErrors.ProviderFailed(command.Route.Provider, "The local provider failed while streaming."));
        }
    }

    /// <summary>The reply as each of the <c>n</c> choices asked for: the prompt is billed once, the completion once per choice.</summary>
    private static ChatCompleted Completed(ChatCompletion command, EchoReply reply)
    {
        var n = command.N ?? 1;
        return new()
        {
            JobId = command.JobId,
            Timestamp = DateTimeOffset.UtcNow,
            Route = command.Route,
            Choices = [.. Enumerable.Range(0, n).Select(index => new ChatChoice
            {
                Index = index,
                Message = new ChatMessage { Role = "assistant", Content = reply.Content, ToolCalls = EchoModel.ToolCallsOfChoice(reply, index) },
                FinishReason = reply.FinishReason,
            })],
            Usage = UsagePricing.Price(command.Route, reply.PromptTokens, reply.CompletionTokens * n),
            SystemFingerprint = EchoModel.SystemFingerprint,
        };
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Streaming chat job {JobId} failed")]
    private static partial void LogStreamFailed(ILogger logger, Exception exception, Guid jobId);
}

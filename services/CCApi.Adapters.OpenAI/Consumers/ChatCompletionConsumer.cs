using System.Diagnostics;
using System.Text;
using CCApi.Adapters.Hosting;
using CCApi.Adapters.OpenAI.Upstream;
using CCApi.Contracts;
using CCApi.Storage;
using MassTransit;
using StackExchange.Redis;

namespace CCApi.Adapters.OpenAI.Consumers;

/// <summary>
/// Chat through POST /chat/completions. Non-streaming: responds (and publishes) <see cref="ChatCompleted"/> or
/// <see cref="JobFailed"/>. Streaming: relays the upstream SSE chunks to the job's Redis stream (role, content and
/// tool-call deltas, finish reason, usage, done — or an error entry), then publishes the outcome.
/// </summary>
public sealed class ChatCompletionConsumer(
    OpenAIClient client,
    ChatStreams streams,
    JobResultCache results,
    AdapterJobRunner runner,
    JobCancellations cancellations,
    StreamingChatJobs streaming,
    ProviderAdapterOptions options) : IConsumer<ChatCompletion>
{
    private const string Step = "openai-chat";

    public async Task Consume(ConsumeContext<ChatCompletion> context)
    {
        var command = context.Message;
        using var activity = AdapterTelemetry.Start("openai.chat", command, command.Route);
        activity?.SetTag("ccapi.stream", command.Stream);
        var started = Stopwatch.GetTimestamp();

        if (command.Stream)
        {
            await StreamAsync(context, activity, started);
            return;
        }

        await runner.RunAsync(context, JobKind.Chat, Step, activity, async cancellationToken =>
        {
            var reply = await client.ChatAsync(command, cancellationToken);
            return Completed(command, reply.Choices, reply.PromptTokens, reply.CompletionTokens, reply.SystemFingerprint);
        });
    }

    private async Task StreamAsync(ConsumeContext<ChatCompletion> context, Activity? activity, long started)
    {
        var command = context.Message;
        var jobId = command.JobId;
        if (await streaming.HandleRedeliveryAsync(context, activity,
            () => results.GetAsync<ChatCompleted>(jobId, Step), UpstreamErrors.DroppedMidStream(options.Provider)))
        {
            return;
        }

        var content = new StringBuilder();
        var calls = new SortedDictionary<int, (string? Id, string? Name, StringBuilder Arguments)>();
        string? finishReason = null;
        int prompt = 0, completion = 0;
        var roleSent = false;
        using var canceled = cancellations.Register(jobId);
        using var deadline = AdapterOutcomes.DeadlineToken(command.Deadline, context.CancellationToken);
        using var token = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, canceled.Token);
        try
        {
            if (AdapterOutcomes.IsPastDeadline(command.Deadline))
            {
                throw new UpstreamException(UpstreamErrors.DeadlinePassed(options.Provider));
            }

            await foreach (var chunk in client.StreamChatAsync(command, token.Token))
            {
                if (!roleSent)
                {
                    await streams.AppendAsync(jobId, new ChatStreamDelta { Role = "assistant" });
                    roleSent = true;
                }

                if (!string.IsNullOrEmpty(chunk.Content))
                {
                    content.Append(chunk.Content);
                    await streams.AppendAsync(jobId, new ChatStreamDelta { Content = chunk.Content });
                }

                if (chunk.ToolCalls is { } deltas)
                {
                    foreach (var d in deltas)
                    {
                        var call = calls.TryGetValue(d.Index, out var c) ? c : (null, null, new StringBuilder());
                        calls[d.Index] = (call.Id ?? d.Id, call.Name ?? d.Name, call.Arguments.Append(d.ArgumentsFragment));
                    }

                    await streams.AppendAsync(jobId, new ChatStreamDelta { ToolCalls = deltas });
                }

                if (chunk.FinishReason is { } reason && finishReason is null)
                {
                    finishReason = reason;
                    await streams.AppendAsync(jobId, new ChatStreamDelta { FinishReason = reason });
                }

                if (chunk.PromptTokens is { } p)
                {
                    (prompt, completion) = (p, chunk.CompletionTokens ?? 0);
                }
            }

            if (!roleSent)
            {
                await streams.AppendAsync(jobId, new ChatStreamDelta { Role = "assistant" });
            }

            if (finishReason is null)
            {
                finishReason = calls.Count > 0 ? "tool_calls" : "stop";
                await streams.AppendAsync(jobId, new ChatStreamDelta { FinishReason = finishReason });
            }

            var toolCalls = calls.Count == 0 ? null
                : calls.Values.Select(c => new ToolCall { Id = c.Id ?? "", Name = c.Name ?? "", Arguments = c.Arguments.ToString() }).ToList();
            var choice = new ChatChoice
            {
                Index = 0,
                Message = new ChatMessage { Role = "assistant", Content = content.Length == 0 && toolCalls is not null ? null : content.ToString(), ToolCalls = toolCalls },
                FinishReason = finishReason,
            };
            var completed = Completed(command, [choice], prompt, completion, null);
            await streams.AppendAsync(jobId, new ChatStreamDelta { Usage = completed.Usage });
            await streams.AppendAsync(jobId, new ChatStreamDelta { Done = true });
            await results.SetAsync(jobId, Step, completed);
            await context.Publish(completed, context.CancellationToken);
            AdapterTelemetry.Succeeded(activity, command.Route, completed.Usage, Stopwatch.GetElapsedTime(started));
        }
        catch (Exception ex) when (AdapterJobRunner.FailureOf(ex, options.Provider, deadline.Token, context.CancellationToken, canceled.Token) is { } error)
        {
            await streaming.FailAsync(context, activity, error);
        }
    }

    private static ChatCompleted Completed(ChatCompletion command, IReadOnlyList<ChatChoice> choices, int promptTokens, int completionTokens, string? fingerprint) => new()
    {
        JobId = command.JobId,
        Timestamp = DateTimeOffset.UtcNow,
        Route = command.Route,
        Choices = choices,
        Usage = UsagePricing.Price(command.Route, promptTokens, completionTokens),
        SystemFingerprint = fingerprint,
    };
}

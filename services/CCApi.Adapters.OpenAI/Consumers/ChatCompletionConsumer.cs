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
/// tool-call deltas, finish reason, usage, done — or an error entry), the chunks that arrived together in one append
/// (<see cref="ChatStreamBatch"/>), then hands the outcome to JobStatus (<see cref="StreamingChatJobs.CompletedAsync"/>).
/// </summary>
public sealed class ChatCompletionConsumer(
    OpenAIClient client,
    ChatStreams streams,
    JobResultCache results,
    AdapterJobRunner runner,
    JobCancellations cancellations,
    StreamingChatJobs streaming,
    UpstreamAdapterOptions options) : IConsumer<ChatCompletion>
{
    private const string Step = "openai-chat";

    public async Task Consume(ConsumeContext<ChatCompletion> context)
    {
        var command = context.Message;
        using var call = AdapterTelemetry.Start(command);

        if (command.Stream)
        {
            await StreamAsync(context, call);
            return;
        }

        await runner.RunAsync(context, JobKind.Chat, Step, call, async cancellationToken =>
        {
            var reply = await client.ChatAsync(command, cancellationToken);
            call.Response(reply.Id, reply.Model);
            return Completed(command, reply.Choices, reply.PromptTokens, reply.CompletionTokens, reply.SystemFingerprint);
        });
    }

    private async Task StreamAsync(ConsumeContext<ChatCompletion> context, ProviderCall call)
    {
        var command = context.Message;
        var jobId = command.JobId;
        if (await streaming.HandleRedeliveryAsync(context, call,
            () => results.GetAsync<ChatCompleted>(jobId, Step), UpstreamErrors.DroppedMidStream(options.Provider)))
        {
            return;
        }

        var content = new StringBuilder();
        var calls = new SortedDictionary<int, (string? Id, string? Name, StringBuilder Arguments)>();
        string? finishReason = null;
        int prompt = 0, completion = 0;
        var roleSent = false;
        var batch = new ChatStreamBatch(streams, jobId);
        using var canceled = cancellations.Register(jobId);
        using var deadline = AdapterOutcomes.DeadlineToken(command.Deadline, context.CancellationToken);
        using var token = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, canceled.Token);
        try
        {
            if (AdapterOutcomes.IsPastDeadline(command.Deadline))
            {
                throw new UpstreamException(UpstreamErrors.DeadlinePassed(options.Provider));
            }

            await foreach (var chunk in batch.Relay(client.StreamChatAsync(command, token.Token), token.Token))
            {
                call.Response(chunk.Id, chunk.Model);
                if (!roleSent)
                {
                    batch.Add(new ChatStreamDelta { Role = "assistant" });
                    roleSent = true;
                }

                if (!string.IsNullOrEmpty(chunk.Content))
                {
                    content.Append(chunk.Content);
                    batch.Add(new ChatStreamDelta { Content = chunk.Content });
                }

                if (chunk.ToolCalls is { } deltas)
                {
                    foreach (var d in deltas)
                    {
                        var known = calls.TryGetValue(d.Index, out var c) ? c : (null, null, new StringBuilder());
                        calls[d.Index] = (known.Id ?? d.Id, known.Name ?? d.Name, known.Arguments.Append(d.ArgumentsFragment));
                    }

                    batch.Add(new ChatStreamDelta { ToolCalls = deltas });
                }

                if (chunk.FinishReason is { } reason && finishReason is null)
                {
                    finishReason = reason;
                    batch.Add(new ChatStreamDelta { FinishReason = reason });
                }

                if (chunk.PromptTokens is { } p)
                {
                    (prompt, completion) = (p, chunk.CompletionTokens ?? 0);
                }
            }

            if (!roleSent)
            {
                batch.Add(new ChatStreamDelta { Role = "assistant" });
            }

            if (finishReason is null)
            {
                finishReason = calls.Count > 0 ? "tool_calls" : "stop";
                batch.Add(new ChatStreamDelta { FinishReason = finishReason });
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
            batch.Add(new ChatStreamDelta { Usage = completed.Usage });
            batch.Add(new ChatStreamDelta { Done = true });
            await batch.FlushAsync();
            await results.SetAsync(jobId, Step, completed, command.Deadline); // for a redelivery, until the command's deadline (+ margin)
            await streaming.CompletedAsync(context, call.Succeeded(completed));
        }
        catch (Exception ex) when (AdapterJobRunner.FailureOf(ex, options.Provider, deadline.Token, context.CancellationToken, canceled.Token) is { } error)
        {
            await streaming.FailAsync(context, call, error);
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

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
            return Completed(command, reply.Choices, reply.Tokens, reply.SystemFingerprint);
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

        var n = command.N ?? 1;
        var choices = new SortedDictionary<int, StreamedChoice>();
        StreamedChoice Choice(int index) => choices.TryGetValue(index, out var choice) ? choice : choices[index] = new StreamedChoice(index);
        var tokens = ChatTokens.None;
        var batch = new ChatStreamBatch(streams, jobId, StreamingChatJobs.GatewayChannel(context));
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
                foreach (var delta in chunk.Choices)
                {
                    if (delta.Index < n) // a choice the request did not ask for is not relayed
                    {
                        Choice(delta.Index).Relay(delta, batch);
                    }
                }

                if (chunk.Tokens is { } counted)
                {
                    tokens = counted;
                }
            }

            for (var index = 0; index < n; index++)
            {
                Choice(index).End(batch); // every choice asked for has a role and a finish reason
            }

            var completed = Completed(command, [.. choices.Values.Select(c => c.ToChoice())], tokens, null);
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

    private static ChatCompleted Completed(ChatCompletion command, IReadOnlyList<ChatChoice> choices, ChatTokens tokens, string? fingerprint) => new()
    {
        JobId = command.JobId,
        Timestamp = DateTimeOffset.UtcNow,
        Route = command.Route,
        Choices = choices,
        Usage = UsagePricing.Price(command.Route, tokens.Prompt, tokens.Completion, cachedPromptTokens: tokens.CachedPrompt, reasoningTokens: tokens.Reasoning),
        SystemFingerprint = fingerprint,
    };

    /// <summary>One choice of a stream: relays its deltas (marked with its index) and keeps what they add up to.</summary>
    private sealed class StreamedChoice(int index)
    {
        private readonly StringBuilder _content = new();
        private readonly SortedDictionary<int, (string? Id, string? Name, StringBuilder Arguments)> _calls = [];
        private string? _finishReason;
        private bool _roleSent;

        public void Relay(ChoiceDelta delta, ChatStreamBatch batch)
        {
            StartOnce(batch);
            if (!string.IsNullOrEmpty(delta.Content))
            {
                _content.Append(delta.Content);
                batch.Add(new ChatStreamDelta { Choice = index, Content = delta.Content });
            }

            if (delta.ToolCalls is { } calls)
            {
                foreach (var d in calls)
                {
                    var known = _calls.TryGetValue(d.Index, out var c) ? c : (null, null, new StringBuilder());
                    _calls[d.Index] = (known.Id ?? d.Id, known.Name ?? d.Name, known.Arguments.Append(d.ArgumentsFragment));
                }

                batch.Add(new ChatStreamDelta { Choice = index, ToolCalls = calls });
            }

            if (delta.FinishReason is { } reason && _finishReason is null)
            {
                _finishReason = reason;
                batch.Add(new ChatStreamDelta { Choice = index, FinishReason = reason });
            }
        }

        /// <summary>The upstream's stream is over: a role and a finish reason if it sent none for this choice.</summary>
        public void End(ChatStreamBatch batch)
        {
            StartOnce(batch);
            if (_finishReason is null)
            {
                _finishReason = _calls.Count > 0 ? "tool_calls" : "stop";
                batch.Add(new ChatStreamDelta { Choice = index, FinishReason = _finishReason });
            }
        }

        public ChatChoice ToChoice()
        {
            var toolCalls = _calls.Count == 0 ? null
                : _calls.Values.Select(c => new ToolCall { Id = c.Id ?? "", Name = c.Name ?? "", Arguments = c.Arguments.ToString() }).ToList();
            return new ChatChoice
            {
                Index = index,
                Message = new ChatMessage { Role = "assistant", Content = _content.Length == 0 && toolCalls is not null ? null : _content.ToString(), ToolCalls = toolCalls },
                FinishReason = _finishReason ?? "stop",
            };
        }

        private void StartOnce(ChatStreamBatch batch)
        {
            if (!_roleSent)
            {
                batch.Add(new ChatStreamDelta { Choice = index, Role = "assistant" });
                _roleSent = true;
            }
        }
    }
}

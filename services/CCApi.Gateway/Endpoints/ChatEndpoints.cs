using CCApi.Gateway.Idempotency;
using CCApi.Gateway.Limits;

namespace CCApi.Gateway.Endpoints;

/// <summary>POST /v1/chat/completions: OpenAI-compatible, with <c>models</c> failover and SSE streaming (spec 2.1).</summary>
public static class ChatEndpoints
{
    private const string Route = "POST /v1/chat/completions";

    public static IEndpointRouteBuilder MapChatEndpoints(this IEndpointRouteBuilder app) =>
        app.MapApiRoutes("Chat", group => group.MapPost("/chat/completions", CreateChatCompletion).AsModelPost<ChatCompletionRequestBody, ChatCompletionResponse>(
            route => route.Produces200Also("text/event-stream")).WithMetadata(LargePromptRoute.Instance));

    public static async Task<Results<JsonHttpResult<ChatCompletionResponse>, ChatStreamResult>> CreateChatCompletion(
        HttpContext http,
        JsonBody json,
        ModelRequestPipeline pipeline,
        LargePromptGate largePrompts,
        ProviderDispatcher dispatcher,
        ChatStreams streams,
        CostEstimator costs,
        ILogger<ChatStreamResult> logger,
        CancellationToken cancellationToken)
    {
        await largePrompts.EnterBeforeReadingAsync(http, http.Request.ContentLength, cancellationToken); // one large body per key at a time
        var body = await json.ReadAsync(http.Request, GatewayJsonContext.Web.ChatCompletionRequestBody, cancellationToken);
        var plan = ChatRequestValidator.Validate(body);
        return await pipeline.RunAsync(http, new ModelRequest<ChatPlan, Results<JsonHttpResult<ChatCompletionResponse>, ChatStreamResult>>
        {
            Route = Route,
            ModelType = "chat",
            Kind = JobKind.Chat,
            Candidates = [.. plan.Candidates.Select(c => (c.Field, (string?)c.Id))],
            Characters = plan.Characters(),
            Plan = model => ChatRequestValidator.ForModel(plan, model),
            Tokens = (model, p) => TokenEstimate.FromMessages(p.Messages, model.Capabilities.ImageInputTokens),
            Cost = (model, p) => costs.Chat(model, p.Messages, p.Tools, p.MaxTokens, p.Choices),
            Execute = async (attempt, p) =>
            {
                var command = p.ToCommand(attempt.JobId, dispatcher.Now, attempt.Route, attempt.Deadline);
                if (p.Stream)
                {
                    var stream = await ChatStreamResult.StartAsync(command, streams, dispatcher, logger, cancellationToken); // settles itself
                    // Its first content is here, so the job runs, even if the broker's confirm of the (persistent) command
                    // is still on its way: for Idempotency-Key the request has started executing.
                    http.IdempotentRequest()?.MarkDispatched();
                    http.IdempotentRequest()?.MarkStreamed(); // written as it comes, never held back until saved
                    return new(stream);
                }

                var completed = await dispatcher.RequestAsync<ChatCompletion, ChatCompleted>(command, attempt.Route, JobKind.Chat, cancellationToken);
                return new(TypedResults.Json(Render(completed, command), GatewayJsonContext.Web.ChatCompletionResponse), completed.Usage);
            },
        }, cancellationToken);
    }

    public static ChatCompletionResponse Render(ChatCompleted completed, ChatCompletion command) => new(
        Id: PublicIds.Chat(command.JobId),
        Created: command.Timestamp.ToUnixTimeSeconds(),
        Model: command.Route.Model,
        Provider: command.Route.Provider,
        Choices: completed.Choices.Select(c => new ChatChoiceResponse(
            c.Index,
            new ChatMessageResponse(
                c.Message.Role,
                c.Message.Content,
                c.Message.ToolCalls is { Count: > 0 } calls
                    ? calls.Select(t => new ToolCallResponse(t.Id, new FunctionCallResponse(t.Name, t.Arguments))).ToList()
                    : null),
            c.FinishReason)).ToList(),
        Usage: UsageResponse.Of(completed.Usage, CostEstimator.CostUsd(command.Route, completed.Usage)),
        SystemFingerprint: completed.SystemFingerprint);
}

using CCApi.Contracts;
using CCApi.Gateway.Api;
using CCApi.Gateway.Auth;
using CCApi.Gateway.Catalog;
using CCApi.Gateway.Credits;
using CCApi.Gateway.Dispatch;
using CCApi.Gateway.Http;
using CCApi.Gateway.Limits;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CCApi.Gateway.Endpoints;

/// <summary>POST /v1/chat/completions: OpenAI-compatible, with <c>models</c> failover and SSE streaming (spec 2.1).</summary>
public static partial class ChatEndpoints
{
    private const string Route = "POST /v1/chat/completions";

    public static IEndpointRouteBuilder MapChatEndpoints(this IEndpointRouteBuilder app)
    {
        foreach (var group in app.MapApiGroups("Chat"))
        {
            group.MapPost("/chat/completions", CreateChatCompletion)
                .Accepts<ChatCompletionRequestBody>("application/json")
                .Produces<ChatCompletionResponse>(StatusCodes.Status200OK)
                .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
                .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
                .ProducesModelRouteErrors();
        }

        return app;
    }

    public static async Task<Results<JsonHttpResult<ChatCompletionResponse>, ChatStreamResult>> CreateChatCompletion(
        HttpContext http,
        JsonBody json,
        CatalogAccess catalogs,
        ModelAdmission admission,
        ProviderDispatcher dispatcher,
        ChatStreams streams,
        CostEstimator costs,
        ILogger<ChatStreamResult> logger,
        CancellationToken cancellationToken)
    {
        var body = await json.ReadAsync(http.Request, GatewayJsonContext.Web.ChatCompletionRequestBody, cancellationToken);
        var plan = ChatRequestValidator.Validate(body);
        var catalog = await catalogs.GetAsync(cancellationToken);
        var models = plan.Candidates.Select(c => ModelResolution.Resolve(catalog, c.Id, c.Field, "chat", Route)).ToList();
        var tokens = TokenEstimate.FromMessages(plan.Messages);

        ApiException? last = null;
        for (var i = 0; i < models.Count; i++)
        {
            var model = models[i];
            var hasNext = i < models.Count - 1;
            if (!catalog.IsAvailable(model))
            {
                last = ModelResolution.Unavailable(model);
                if (hasNext)
                {
                    LogFailover(logger, model.Id, last.Status, last.Code, models[i + 1].Id);
                }

                continue;
            }

            var jobId = Guid.NewGuid();
            var deadline = dispatcher.Deadline;
            var route = await admission.AdmitAsync(http, model, tokens, jobId, m => costs.Chat(m, plan.Messages, plan.Tools, plan.MaxTokens), deadline);
            var command = plan.ToCommand(jobId, dispatcher.Now, route, deadline);
            try
            {
                if (plan.Stream)
                {
                    return await ChatStreamResult.StartAsync(command, streams, dispatcher, logger, cancellationToken);
                }

                var completed = await dispatcher.RequestAsync<ChatCompletion, ChatCompleted>(command, route, JobKind.Chat, cancellationToken);
                http.RateLimitLease()?.ReportTokens(completed.Usage.TotalTokens);
                if (http.CreditHold() is { } hold)
                {
                    await hold.SettleAsync(route, JobKind.Chat, completed.Usage);
                }

                return TypedResults.Json(Render(completed, command), GatewayJsonContext.Web.ChatCompletionResponse);
            }
            catch (ApiException ex) when (hasNext && ProviderDispatcher.IsRetriable(ex))
            {
                LogFailover(logger, model.Id, ex.Status, ex.Code, models[i + 1].Id);
                last = ex;
            }
        }

        throw last!;
    }

    public static ChatCompletionResponse Render(ChatCompleted completed, ChatCompletion command) => new(
        Id: "chatcmpl-" + command.JobId.ToString("N"),
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
        Usage: new UsageResponse(completed.Usage.PromptTokens, completed.Usage.CompletionTokens, completed.Usage.TotalTokens,
            CostEstimator.CostUsd(command.Route, completed.Usage)),
        SystemFingerprint: completed.SystemFingerprint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chat model {Model} failed ({Status} {Code}); failing over to {Next}")]
    private static partial void LogFailover(ILogger logger, string model, int status, string? code, string next);
}

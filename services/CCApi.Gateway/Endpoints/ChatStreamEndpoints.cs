using Microsoft.AspNetCore.Mvc;

namespace CCApi.Gateway.Endpoints;

/// <summary>GET /v1/chat/completions/{id}/stream: resumes a streaming chat the client lost (<see cref="ChatStreamResume"/>).</summary>
public static class ChatStreamEndpoints
{
    public static IEndpointRouteBuilder MapChatStreamEndpoints(this IEndpointRouteBuilder app) =>
        app.MapApiRoutes("Chat", group =>
        {
            group.MapGet("/chat/completions/{id}/stream", ResumeChatStream)
                .WithSummary("Resume a streaming chat completion")
                .WithDescription(
                    "Continues the server-sent events of a streaming chat completion after the event whose id is given in " +
                    "`Last-Event-ID` (or `?after=`; neither = from the start): live while the job runs, from storage once it " +
                    "has ended, ending with `data: [DONE]` or the error event exactly as the original response. `{id}` is the " +
                    "`x-ccapi-job-id` header of the original response or its chunks' `id` (`chatcmpl-…`). No provider is called " +
                    "and nothing is charged again. Readable for `Jobs__Ttl` (default 24 h).")
                .Produces<string>(StatusCodes.Status200OK, "text/event-stream") // data: chat.completion.chunk … data: [DONE]
                .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
                .Produces<ErrorResponse>(StatusCodes.Status404NotFound)
                .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized)
                .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);
        });

    public static Task<ChatStreamResume> ResumeChatStream(
        string id,
        HttpContext http,
        ChatStreams streams,
        ProviderDispatcher dispatcher,
        [FromHeader(Name = ChatStreamResume.LastEventIdHeader)] string? lastEventId = null,
        [FromQuery] string? after = null)
    {
        _ = (lastEventId, after); // read (and validated) from the request by ChatStreamResume; declared for the OpenAPI document
        return ChatStreamResume.OpenAsync(id, http.GetCaller().KeyId, http.Request, streams, dispatcher);
    }
}

using Microsoft.AspNetCore.Http.Features;

namespace CCApi.Gateway.Http;

/// <summary>
/// The head of every server-sent event stream the gateway answers (chat streams, image job events): SSE, never cached,
/// and written through unbuffered so each event reaches the client when it is flushed.
/// </summary>
public static class EventStreamResponse
{
    public static void Begin(HttpContext http)
    {
        http.Response.ContentType = "text/event-stream; charset=utf-8";
        http.Response.Headers.CacheControl = "no-cache";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }
}

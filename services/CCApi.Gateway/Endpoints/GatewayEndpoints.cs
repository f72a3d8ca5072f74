using CCApi.Gateway.OperatorConsole;

namespace CCApi.Gateway.Endpoints;

/// <summary>
/// Every route the gateway serves, one line per API area, so Program.cs stays a table of contents and this list is the
/// one place to see (and extend) the public surface.
/// </summary>
public static class GatewayEndpoints
{
    public static IEndpointRouteBuilder MapGatewayEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi();                             // /openapi/v1.json
        app.MapChatEndpoints();                       // POST /v1/chat/completions
        app.MapChatStreamEndpoints();                 // GET  /v1/chat/completions/{id}/stream  (resume with Last-Event-ID)
        app.MapSpeechEndpoints();                     // POST /v1/audio/speech
        app.MapImageEndpoints();                      // POST /v1/images/generations, /v1/images/generate
        app.MapImageEditEndpoints();                  // POST /v1/images/edits  (OpenAI-compatible multipart edits)
        app.MapImageJobEndpoints();                   // GET /v1/images/jobs/{id}, …/events (SSE); POST …/cancel, …/webhook/redeliver
        app.MapCatalogEndpoints();                    // GET  /v1/models, /v1/providers[/{name}]
        app.MapFileEndpoints();                       // GET  /v1/files/{id}  (signed URL, no bearer)
        app.MapKeyEndpoints();                        // GET  /v1/key  (the caller's own key)
        app.MapUsageEndpoints();                      // GET  /v1/usage  (the caller's own spend)
        app.MapAdminEndpoints();                      // /admin/v1/keys…  (admin key; off without one)
        app.MapAdminJobEndpoints();                   // /admin/v1/jobs…  (every key's async jobs: list, view, events, cancel, redeliver)
        app.MapOperatorConsoleEndpoints();            // /admin/v1/stats, /admin/v1/providers  (the console's Overview)
        return app;
    }
}

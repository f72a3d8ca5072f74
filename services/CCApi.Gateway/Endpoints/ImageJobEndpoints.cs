namespace CCApi.Gateway.Endpoints;

/// <summary>
/// The image job routes, all mapped here: GET /v1/images/jobs/{id} (spec 2.5: the job's state, answered from JobStatus),
/// GET …/events and POST …/cancel (<see cref="ImageJobControlEndpoints"/>), POST …/webhook/redeliver
/// (<see cref="ImageJobWebhookEndpoints"/>) — every one for the job's owner only (<see cref="ImageJobViews.GetOwnedAsync"/>).
/// </summary>
public static class ImageJobEndpoints
{
    public static IEndpointRouteBuilder MapImageJobEndpoints(this IEndpointRouteBuilder app) =>
        app.MapApiRoutes("Images", group =>
        {
            group.MapGet("/images/jobs/{id}", GetImageJob)
                .Produces<MultimodalImageResponse>(StatusCodes.Status200OK)
                .Produces<ErrorResponse>(StatusCodes.Status404NotFound);
            group.MapGet("/images/jobs/{id}/events", ImageJobControlEndpoints.StreamImageJobEvents)
                .WithSummary("Follow an image job as server-sent events")
                .WithDescription("""
                    One `event: status` per state or progress change; `data:` is the job view of GET /v1/images/jobs/{id};
                    `id:` is the event id to send back as `Last-Event-ID` to resume without gaps or repeats. Without
                    `Last-Event-ID` the stream starts with the current view. The stream ends after the terminal state
                    (completed, failed, canceled); `: heartbeat` comment lines keep it open while nothing changes.
                    """)
                .Produces<string>(StatusCodes.Status200OK, "text/event-stream")
                .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
                .Produces<ErrorResponse>(StatusCodes.Status404NotFound)
                .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);
            group.MapPost("/images/jobs/{id}/cancel", ImageJobControlEndpoints.CancelImageJob)
                .WithSummary("Cancel an image job")
                .WithDescription("""
                    Stops a pending or processing job: it ends `canceled` (final; a late result does not change it), a pending
                    job never reaches the provider, a running one is stopped in its adapter, the webhook fires with
                    `canceled` and reserved credits are released. A job that has already ended answers 409
                    `job_not_cancelable` with the error object and, beside it, `job`: the job view.
                    """)
                .Produces<MultimodalImageResponse>(StatusCodes.Status200OK)
                .Produces<JobNotCancelableResponse>(StatusCodes.Status409Conflict)
                .Produces<ErrorResponse>(StatusCodes.Status404NotFound)
                .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);
            group.MapPost("/images/jobs/{id}/webhook/redeliver", ImageJobWebhookEndpoints.RedeliverWebhook)
                .WithSummary("Send a finished job's webhook again")
                .WithDescription("Starts a new attempt series (same webhook-id, fresh webhook-timestamp and signature) whatever " +
                    "became of the last one. 404 for an unknown job or another key's; 409 webhook_not_set (no webhook_url), " +
                    "job_not_finished, webhook_delivery_in_progress; 429 past the key's rpm, in which each call counts.")
                .Produces<MultimodalImageResponse>(StatusCodes.Status202Accepted)
                .Produces<ErrorResponse>(StatusCodes.Status404NotFound)
                .Produces<ErrorResponse>(StatusCodes.Status409Conflict)
                .Produces<ErrorResponse>(StatusCodes.Status429TooManyRequests);
        });

    /// <summary>"img_" + 32 hex digits → the job id; anything else is no job.</summary>
    public static bool TryParseId(string id, out Guid jobId) => PublicIds.TryParse(id, PublicIds.ImagePrefix, out jobId);

    public static async Task<JsonHttpResult<MultimodalImageResponse>> GetImageJob(
        string id, HttpContext http, ImageJobViews views, CancellationToken cancellationToken)
    {
        var (jobId, job) = await views.GetOwnedAsync(id, http, cancellationToken);
        return TypedResults.Json(await views.RenderAsync(jobId, job, http.Request, cancellationToken), GatewayJsonContext.Web.MultimodalImageResponse);
    }
}

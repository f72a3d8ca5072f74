using System.Text.Json;

namespace CCApi.Gateway.Endpoints;

/// <summary>
/// The image job routes, all mapped here: GET /v1/images/jobs/{id} (spec 2.5: the job's state, answered from JobStatus),
/// GET …/events and POST …/cancel (<see cref="ImageJobControlEndpoints"/>), POST …/webhook/redeliver
/// (<see cref="ImageJobWebhookEndpoints"/>) — every one for the job's owner only (<see cref="GetOwnedAsync"/>).
/// </summary>
public static class ImageJobEndpoints
{
    public static IEndpointRouteBuilder MapImageJobEndpoints(this IEndpointRouteBuilder app)
    {
        foreach (var group in app.MapApiGroups("Images"))
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
                    "job_not_finished, webhook_delivery_in_progress.")
                .Produces<MultimodalImageResponse>(StatusCodes.Status202Accepted)
                .Produces<ErrorResponse>(StatusCodes.Status404NotFound)
                .Produces<ErrorResponse>(StatusCodes.Status409Conflict);
        }

        return app;
    }

    /// <summary>"img_" + 32 hex digits → the job id; anything else is no job.</summary>
    public static bool TryParseId(string id, out Guid jobId)
    {
        jobId = default;
        return id.Length == 36 && id.StartsWith("img_", StringComparison.Ordinal)
            && Guid.TryParseExact(id.AsSpan(4), "N", out jobId);
    }

    public static async Task<JsonHttpResult<MultimodalImageResponse>> GetImageJob(
        string id,
        HttpContext http,
        JobStatusClient jobs,
        IBlobStore blobs,
        PublicUrls urls,
        CatalogSnapshot catalog,
        CancellationToken cancellationToken)
    {
        var (jobId, job) = await GetOwnedAsync(id, http, jobs, cancellationToken);
        return TypedResults.Json(await RenderAsync(jobId, job, http.Request, blobs, urls, catalog, cancellationToken), GatewayJsonContext.Web.MultimodalImageResponse);
    }

    /// <summary>
    /// The caller's job with this public id; 404 for a malformed id, an unknown job and another key's job alike. The admin
    /// key (the admin API's job routes) reaches every key's jobs.
    /// </summary>
    public static async Task<(Guid JobId, JobViewBody Job)> GetOwnedAsync(string id, HttpContext http, JobStatusClient jobs, CancellationToken cancellationToken)
    {
        var owner = http.IsAdmin() ? null : http.GetCaller().KeyId;
        if (!TryParseId(id, out var jobId))
        {
            throw NotFound(id);
        }

        var job = await jobs.GetAsync(jobId, cancellationToken);
        if (job is null || (owner is not null && !string.Equals(job.OwnerId, owner, StringComparison.Ordinal)))
        {
            throw NotFound(id); // another key's job is indistinguishable from no job
        }

        return (jobId, job);
    }

    /// <summary>The public view of a job (spec 2.5), as GET /v1/images/jobs/{id} and every status-stream event carry it.</summary>
    public static async Task<MultimodalImageResponse> RenderAsync(
        Guid jobId, JobViewBody job, HttpRequest request, IBlobStore blobs, PublicUrls urls, CatalogSnapshot catalog, CancellationToken cancellationToken)
    {
        var publicId = "img_" + jobId.ToString("N");
        var state = job.State ?? JobStates.Pending;
        var terminal = JobStates.IsTerminal(state);
        List<ImageDatum>? data = null;
        if (state == JobStates.Completed && job.Images is { } images)
        {
            var present = images.Where(i => i.Blob?.Id is not null).ToList();
            data = await ImageEndpoints.RenderImagesAsync(request,
                present.Select(i => (i.Blob!.Id!, i.Blob.ContentType, i.Seed, i.RevisedPrompt ?? job.RevisedPrompt)),
                job.ResponseFormat ?? "url", blobs, urls, seeds: true, cancellationToken);
        }

        JobErrorResponse? error = null;
        if (job.Error is { } e && state is JobStates.Failed or JobStates.Canceled)
        {
            error = new JobErrorResponse(e.Message ?? "The job failed.", e.Type ?? ErrorTypes.Api, e.Code, Details(e.Details));
        }

        ImageUsageResponse? usage = null;
        if (state == "completed" && job.Usage is { } used)
        {
            // cost_usd is null for a model without a price (as on every usage object)
            var pricing = job.Model is null ? null : catalog.Current?.FindModel(job.Model)?.Pricing;
            usage = new ImageUsageResponse(used.Images > 0 ? used.Images : data?.Count ?? 0,
                pricing is null ? (used.Cost > 0 ? used.Cost : null) : ApiCaller.IsUnpriced(pricing) ? null : used.Cost);
        }

        var mode = job.Mode ?? "async";
        return new MultimodalImageResponse(
            Id: publicId,
            Created: job.Created,
            Model: job.Model ?? "",
            Status: state,
            Execution: new ExecutionInfo(mode, job.Operation ?? "text-to-image", job.Provider ?? ""),
            Data: data,
            PollUrl: terminal || mode != "async" ? null : urls.ImageJob(request, publicId),
            EstimatedTime: terminal ? null : job.EstimatedSeconds,
            Progress: state == JobStates.Completed ? 100 : job.Progress ?? 0,
            Error: error,
            Usage: usage,
            Webhook: job.Webhook is { Status: { } hook } w
                ? new WebhookDeliveryResponse(hook, w.Attempts, w.LastError, w.LastStatusCode, w.LastAttemptAt, w.NextAttemptAt, w.DeliveredAt)
                : null,
            KeyId: request.HttpContext.IsAdmin() ? job.OwnerId : null);
    }

    private static JsonElement? Details(JsonElement? details) =>
        details is { ValueKind: JsonValueKind.Object } ? details : null;

    private static ApiException NotFound(string id) =>
        ApiException.NotFound($"No image job '{Validation.Truncate(id)}'.");
}

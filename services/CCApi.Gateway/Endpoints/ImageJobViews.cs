using System.Text.Json;

namespace CCApi.Gateway.Endpoints;

/// <summary>
/// What every image job route needs (the client routes and the admin API's): the caller's job from JobStatus, and its
/// public view with this gateway's file URLs and the catalog's price. One per request (it holds the typed JobStatus client).
/// </summary>
public sealed class ImageJobViews(JobStatusClient jobs, ModelFiles files, PublicUrls urls, CatalogSnapshot catalog)
{
    /// <summary>JobStatus, for what a route does with the job besides viewing it (events, cancel, list).</summary>
    public JobStatusClient Jobs => jobs;

    /// <summary>
    /// The caller's image job with this public id; 404 for a malformed id, an unknown job, another key's job and a job that
    /// is not an image job alike. The admin key (the admin API's job routes) reaches every key's jobs.
    /// </summary>
    public async Task<(Guid JobId, JobViewBody Job)> GetOwnedAsync(string id, HttpContext http, CancellationToken cancellationToken)
    {
        var owner = http.IsAdmin() ? null : http.GetCaller().KeyId;
        if (!ImageJobEndpoints.TryParseId(id, out var jobId))
        {
            throw NotFound(id);
        }

        var job = await jobs.GetAsync(jobId, cancellationToken);
        if (job is null
            || (owner is not null && !string.Equals(job.OwnerId, owner, StringComparison.Ordinal))
            || (job.Kind is { } kind && kind != "image"))
        {
            // Another key's job is indistinguishable from no job; so is a chat or speech job, whose id a client can
            // put behind "img_" (its "chatcmpl-" id carries the same hex) — those are not image jobs to read or cancel.
            throw NotFound(id);
        }

        return (jobId, job);
    }

    /// <summary>The public view of a job (spec 2.5), as GET /v1/images/jobs/{id} and every status-stream event carry it.</summary>
    public async Task<MultimodalImageResponse> RenderAsync(Guid jobId, JobViewBody job, HttpRequest request, CancellationToken cancellationToken)
    {
        var publicId = PublicIds.Image(jobId);
        var state = job.State ?? JobStates.Pending;
        var terminal = JobStates.IsTerminal(state);
        List<ImageDatum>? data = null;
        if (state == JobStates.Completed && job.Images is { } images)
        {
            data = await files.ImagesAsync(request,
                images.Select(i => (i.Blob.Id, (string?)i.Blob.ContentType, i.Seed, i.RevisedPrompt ?? job.RevisedPrompt)),
                job.ResponseFormat ?? "url", seeds: true, cancellationToken);
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
            Webhook: job.Webhook,
            KeyId: request.HttpContext.IsAdmin() ? job.OwnerId : null);
    }

    /// <summary>404 for a job id that names no job of the caller's (or that JobStatus no longer has).</summary>
    public static ApiException NotFound(string id) =>
        ApiException.NotFound($"No image job '{Validation.Truncate(id)}'.");

    private static JsonElement? Details(IReadOnlyDictionary<string, string>? details) =>
        details is null ? null : JsonSerializer.SerializeToElement(details, GatewayJsonContext.Web.IReadOnlyDictionaryStringString);
}

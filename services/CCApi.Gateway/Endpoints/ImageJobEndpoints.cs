using System.Text.Json;
using CCApi.Gateway.Api;
using CCApi.Gateway.Auth;
using CCApi.Gateway.Dispatch;
using CCApi.Gateway.Http;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CCApi.Gateway.Endpoints;

/// <summary>GET /v1/images/jobs/{id} (spec 2.5): an async image job's state, answered from JobStatus, for its owner only.</summary>
public static class ImageJobEndpoints
{
    private static readonly string[] TerminalStates = ["completed", "failed", "canceled"];

    public static IEndpointRouteBuilder MapImageJobEndpoints(this IEndpointRouteBuilder app)
    {
        foreach (var group in app.MapApiGroups("Images"))
        {
            group.MapGet("/images/jobs/{id}", GetImageJob)
                .Produces<MultimodalImageResponse>(StatusCodes.Status200OK)
                .Produces<ErrorResponse>(StatusCodes.Status404NotFound);
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
        CancellationToken cancellationToken)
    {
        var caller = http.GetCaller();
        if (!TryParseId(id, out var jobId))
        {
            throw NotFound(id);
        }

        var job = await jobs.GetAsync(jobId, cancellationToken);
        if (job is null || !string.Equals(job.OwnerId, caller.KeyId, StringComparison.Ordinal))
        {
            throw NotFound(id); // another key's job is indistinguishable from no job
        }

        var publicId = "img_" + jobId.ToString("N");
        var state = job.State ?? "pending";
        var terminal = Array.IndexOf(TerminalStates, state) >= 0;
        List<ImageDatum>? data = null;
        if (state == "completed" && job.Images is { } images)
        {
            var present = images.Where(i => i.Blob?.Id is not null).ToList();
            data = await ImageEndpoints.RenderImagesAsync(http.Request,
                present.Select(i => (i.Blob!.Id!, i.Blob.ContentType, i.Seed, i.RevisedPrompt ?? job.RevisedPrompt)),
                job.ResponseFormat ?? "url", blobs, urls, seeds: true, cancellationToken);
        }

        JobErrorResponse? error = null;
        if (job.Error is { } e && state is "failed" or "canceled")
        {
            error = new JobErrorResponse(e.Message ?? "The job failed.", e.Type ?? ErrorTypes.Api, e.Code, Details(e.Details));
        }

        var mode = job.Mode ?? "async";
        return TypedResults.Json(
            new MultimodalImageResponse(
                Id: publicId,
                Created: job.Created,
                Model: job.Model ?? "",
                Status: state,
                Execution: new ExecutionInfo(mode, job.Operation ?? "text-to-image", job.Provider ?? ""),
                Data: data,
                PollUrl: terminal || mode != "async" ? null : urls.ImageJob(http.Request, publicId),
                EstimatedTime: terminal ? null : job.EstimatedSeconds,
                Progress: state == "completed" ? 100 : job.Progress ?? 0,
                Error: error,
                Webhook: job.Webhook is { Status: { } hook } w
                    ? new WebhookDeliveryResponse(hook, w.Attempts, w.LastError, w.LastStatusCode, w.LastAttemptAt, w.NextAttemptAt, w.DeliveredAt)
                    : null),
            GatewayJsonContext.Web.MultimodalImageResponse);
    }

    private static JsonElement? Details(JsonElement? details) =>
        details is { ValueKind: JsonValueKind.Object } ? details : null;

    private static ApiException NotFound(string id) =>
        ApiException.NotFound($"No image job '{Validation.Truncate(id)}'.");
}

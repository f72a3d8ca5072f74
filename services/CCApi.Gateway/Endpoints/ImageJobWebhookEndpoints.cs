namespace CCApi.Gateway.Endpoints;

/// <summary>POST /v1/images/jobs/{id}/webhook/redeliver: send a finished job's webhook again, for its owner only (mapped with the other job routes by <see cref="ImageJobEndpoints"/>).</summary>
public static class ImageJobWebhookEndpoints
{
    /// <summary>202 with the job view (its <c>webhook.status</c> now "pending").</summary>
    public static async Task<JsonHttpResult<MultimodalImageResponse>> RedeliverWebhook(
        string id,
        HttpContext http,
        JobStatusClient jobs,
        JobStatusWebhookClient webhooks,
        IBlobStore blobs,
        PublicUrls urls,
        CatalogSnapshot catalog,
        CancellationToken cancellationToken)
    {
        var (jobId, _) = await ImageJobEndpoints.GetOwnedAsync(id, http, jobs, cancellationToken);
        await webhooks.RedeliverAsync(jobId, cancellationToken);
        var view = await ImageJobEndpoints.GetImageJob(id, http, jobs, blobs, urls, catalog, cancellationToken);
        return TypedResults.Json(view.Value, GatewayJsonContext.Web.MultimodalImageResponse, statusCode: StatusCodes.Status202Accepted);
    }
}

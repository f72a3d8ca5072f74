namespace CCApi.Gateway.Endpoints;

/// <summary>POST /v1/images/jobs/{id}/webhook/redeliver: send a finished job's webhook again, for its owner only (mapped with the other job routes by <see cref="ImageJobEndpoints"/>).</summary>
public static class ImageJobWebhookEndpoints
{
    /// <summary>
    /// 202 with the job view (its <c>webhook.status</c> now "pending"). Counted in the key's rpm (each call is a POST to
    /// the job's URL): one series at a time per job is JobStatus' 409, how many a minute is the key's limit.
    /// </summary>
    public static async Task<JsonHttpResult<MultimodalImageResponse>> RedeliverWebhook(
        string id, HttpContext http, ImageJobViews views, ModelAdmission admission, JobStatusWebhookClient webhooks, CancellationToken cancellationToken)
    {
        var (jobId, _) = await views.GetOwnedAsync(id, http, cancellationToken);
        await admission.AdmitRequestAsync(http);
        await webhooks.RedeliverAsync(jobId, cancellationToken);
        var view = await ImageJobEndpoints.GetImageJob(id, http, views, cancellationToken);
        return TypedResults.Json(view.Value, GatewayJsonContext.Web.MultimodalImageResponse, statusCode: StatusCodes.Status202Accepted);
    }
}

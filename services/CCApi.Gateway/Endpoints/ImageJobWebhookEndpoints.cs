using CCApi.Gateway.Api;
using CCApi.Gateway.Auth;
using CCApi.Gateway.Catalog;
using CCApi.Gateway.Dispatch;
using CCApi.Gateway.Http;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CCApi.Gateway.Endpoints;

/// <summary>POST /v1/images/jobs/{id}/webhook/redeliver: send a finished job's webhook again, for its owner only.</summary>
public static class ImageJobWebhookEndpoints
{
    public static IEndpointRouteBuilder MapImageJobWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        foreach (var group in app.MapApiGroups("Images"))
        {
            group.MapPost("/images/jobs/{id}/webhook/redeliver", RedeliverWebhook)
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

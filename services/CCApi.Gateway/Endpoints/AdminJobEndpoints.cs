using System.Globalization;

namespace CCApi.Gateway.Endpoints;

/// <summary>
/// The operators' view of asynchronous jobs under /admin/v1/jobs (the console's Jobs page): the newest jobs of every key,
/// and a job's view, status stream, cancel and webhook redelivery — the client routes' own handlers, which serve every
/// key's jobs when the admin key called them (<see cref="AdminCaller"/>), with <c>key_id</c> naming the owner.
/// </summary>
public static class AdminJobEndpoints
{
    public static IEndpointRouteBuilder MapAdminJobEndpoints(this IEndpointRouteBuilder app)
    {
        if (string.IsNullOrEmpty(app.ServiceProvider.GetRequiredService<IOptions<AuthOptions>>().Value.AdminApiKey))
        {
            return app;
        }

        var group = app.MapGroup("/admin/v1/jobs").WithTags("Admin").WithEndpointFilter<AdminKeyEndpointFilter>();
        group.MapGet("", ListJobs).WithSummary("The newest asynchronous jobs of every key")
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest).Produces<ErrorResponse>(StatusCodes.Status401Unauthorized);
        group.MapGet("/{id}", ImageJobEndpoints.GetImageJob).WithSummary("Any key's job")
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);
        group.MapGet("/{id}/events", ImageJobControlEndpoints.StreamImageJobEvents).WithSummary("Any key's job as server-sent events")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream").Produces<ErrorResponse>(StatusCodes.Status404NotFound);
        group.MapPost("/{id}/cancel", ImageJobControlEndpoints.CancelImageJob).WithSummary("Cancel any key's job")
            .Produces<MultimodalImageResponse>(StatusCodes.Status200OK).Produces<JobNotCancelableResponse>(StatusCodes.Status409Conflict);
        group.MapPost("/{id}/webhook/redeliver", ImageJobWebhookEndpoints.RedeliverWebhook).WithSummary("Send any key's job's webhook again")
            .Produces<MultimodalImageResponse>(StatusCodes.Status202Accepted).Produces<ErrorResponse>(StatusCodes.Status409Conflict);
        return app;
    }

    /// <summary>
    /// GET /admin/v1/jobs?limit=&amp;after= (limit 1–200, default 50): views without their image data (open a job for
    /// that), newest first; <c>after</c> = the <c>last_id</c> of the page before continues the list.
    /// </summary>
    public static async Task<JsonHttpResult<AdminJobList>> ListJobs(
        string? limit, string? after, HttpContext http, ImageJobViews views, CancellationToken cancellationToken)
    {
        var size = 50;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > 200))
        {
            throw ApiException.BadField("limit", "'limit' must be a whole number from 1 to 200.");
        }

        Guid? cursor = null;
        if (after is not null)
        {
            cursor = PublicIds.TryParse(after, PublicIds.ImagePrefix, out var id, bare: true)
                ? id
                : throw ApiException.BadField("after", "'after' must be a job id ('img_…'), the 'last_id' of the page before.");
        }

        var page = await views.Jobs.ListRecentAsync(size, cursor, cancellationToken)
            ?? throw ApiException.BadField("after", $"The job '{Validation.Truncate(after!)}' in 'after' is not in the list: it holds the newest asynchronous jobs only.");
        var list = new List<MultimodalImageResponse>(page.Data.Count);
        foreach (var job in page.Data)
        {
            if (Guid.TryParseExact(job.Id, "N", out var jobId))
            {
                var view = await views.RenderAsync(jobId, WithoutImages(job), http.Request, cancellationToken);
                list.Add(view);
            }
        }

        return TypedResults.Json(new AdminJobList(list, page.HasMore), GatewayJsonContext.Web.AdminJobList);
    }

    private static JobViewBody WithoutImages(JobViewBody job)
    {
        job.Images = null;
        return job;
    }
}

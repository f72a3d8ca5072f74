using System.Buffers;
using System.Text;
using System.Text.Json;
using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using CCApi.ServiceDefaults;
using MassTransit;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace CCApi.JobStatus.Endpoints;

public static class JobEndpoints
{
    /// <summary>
    /// Internal routes; the gateway answers its public /v1/images/jobs/{id}[/events|/cancel] from them after checking owner_id:
    /// GET /jobs/{id}, GET /jobs/{id}/events (server-sent events) and POST /jobs/{id}/cancel.
    /// </summary>
    public static WebApplication MapJobEndpoints(this WebApplication app)
    {
        var jobs = app.MapGroup("/jobs").WithTags("Jobs");
        jobs.MapGet("/", ListRecentJobs);
        jobs.MapGet("/{id:guid}", GetJob);
        jobs.MapGet("/{id:guid}/events", StreamJobEvents).Produces(StatusCodes.Status200OK, contentType: "text/event-stream");
        jobs.MapPost("/{id:guid}/cancel", CancelJob);
        return app;
    }

    /// <summary>
    /// GET /jobs?limit=&amp;after=: the newest asynchronous jobs still on record, newest first (the admin API's and the
    /// console's list); <c>after</c> (a job id) continues after that job.
    /// </summary>
    public static async Task<Ok<JobList>> ListRecentJobs(string? limit, string? after, JobStore store)
    {
        var size = 50;
        if (limit is not null && (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out size) || size is < 1 or > 200))
        {
            throw ApiException.BadField("limit", "'limit' must be a whole number from 1 to 200.");
        }

        Guid? cursor = null;
        if (after is not null)
        {
            cursor = Guid.TryParseExact(after, "N", out var id) ? id : throw ApiException.BadField("after", "'after' must be a job id.");
        }

        var (jobs, hasMore) = await store.RecentAsync(size, cursor)
            ?? throw ApiException.BadField("after", $"The job '{after}' in 'after' is not in the list (only the newest {JobStore.RecentJobsKept} asynchronous jobs are).");
        return TypedResults.Ok(new JobList(jobs, hasMore));
    }

    public static async Task<Ok<JobView>> GetJob(Guid id, JobStore store) =>
        TypedResults.Ok(await store.GetAsync(id) ?? throw ApiException.NotFound($"No job '{id:N}'."));

    /// <summary>
    /// The job's status events as server-sent events: <c>id: &lt;stream entry id&gt;</c>, <c>event: status</c>,
    /// <c>data: &lt;JobView&gt;</c>, each flushed, ending after the terminal view; <c>event: heartbeat</c> after
    /// <see cref="JobsOptions.EventsHeartbeat"/> of silence. <c>Last-Event-ID</c> resumes after that event.
    /// </summary>
    public static async Task StreamJobEvents(
        Guid id, HttpContext http, JobStore store, JobEvents events, IOptions<JobsOptions> options, IHostApplicationLifetime lifetime)
    {
        var afterId = http.Request.Headers["Last-Event-ID"].ToString();
        if (afterId.Length == 0)
        {
            afterId = null;
        }
        else if (!JobEvents.IsEventId(afterId))
        {
            throw ApiException.BadField("Last-Event-ID", "The 'Last-Event-ID' header must be an event id of this stream, e.g. '1764855600000-0'.");
        }

        if (await store.GetAsync(id) is null)
        {
            throw ApiException.NotFound($"No job '{id:N}'.");
        }

        // A stopping replica ends its streams at once (rather than holding the shutdown): clients resume elsewhere.
        using var open = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        var cancellationToken = open.Token;
        var response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(cancellationToken);

        var body = response.BodyWriter;
        try
        {
            // The headers go out now, not with the first event: a resumed stream may have nothing to send for a while,
            // and the gateway's wait for these headers is bounded by Services:Timeout (a 503 when it runs out).
            await body.FlushAsync(cancellationToken);
            await WriteEventsAsync(events.ReadAsync(id, afterId, options.Value.EventsHeartbeat, cancellationToken), body, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // the client went away, or this replica is stopping: the client reconnects with Last-Event-ID
        }
    }

    private static async Task WriteEventsAsync(IAsyncEnumerable<JobEvent> events, System.IO.Pipelines.PipeWriter body, CancellationToken cancellationToken)
    {
        await foreach (var item in events)
        {
            if (item.IsHeartbeat)
            {
                body.Write(Heartbeat);
            }
            else
            {
                body.Write(Encoding.UTF8.GetBytes($"id: {item.Id}\nevent: status\ndata: "));
                using (var json = new Utf8JsonWriter(body))
                {
                    JsonSerializer.Serialize(json, item.View!, JobStatusJsonContext.Web.JobView);
                }

                body.Write("\n\n"u8);
            }

            await body.FlushAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Cancels a job that is not final yet: the state becomes "canceled" through the same script as every other change
    /// (so a cancel racing a completion has exactly one winner), then <see cref="JobCanceled"/> is published once — the
    /// adapters stop the job, the gateway releases its credits. 200 with the view; 409 with the view when the job had
    /// already ended; 404 when there is no such job.
    /// </summary>
    public static async Task<IResult> CancelJob(Guid id, JobStore store, JobUpdater updater, IBus bus, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var canceled = new JobCanceled { JobId = id, Timestamp = now, Reason = "The job was canceled by the client." };
        var change = JobChanges.Canceled(canceled) with { MayCreate = false }; // an unknown job stays unknown
        var result = await updater.ApplyAsync(change, bus, cancellationToken);
        if (result.Outcome == JobWriteOutcome.Missing)
        {
            throw ApiException.NotFound($"No job '{id:N}'.");
        }

        var view = await store.GetAsync(id) ?? throw ApiException.NotFound($"No job '{id:N}'.");
        if (!JobUpdater.EnteredState(change, result))
        {
            return TypedResults.Json(view, JobStatusJsonContext.Web.JobView, statusCode: StatusCodes.Status409Conflict);
        }

        // After the write, so only the cancel that won publishes. JobStatus' own JobCanceled consumer then finds the job
        // final already and changes nothing.
        await bus.Publish(canceled, CancellationToken.None);
        return TypedResults.Json(view, JobStatusJsonContext.Web.JobView);
    }

    private static ReadOnlySpan<byte> Heartbeat => "event: heartbeat\ndata: {}\n\n"u8;
}

using System.Buffers;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CCApi.Storage;

namespace CCApi.Gateway.Endpoints;

/// <summary>
/// What a client can do with an image job besides polling it: follow it as server-sent events
/// (GET /v1/images/jobs/{id}/events) and cancel it (POST /v1/images/jobs/{id}/cancel). Both are answered by JobStatus,
/// for the job's owner only, and mapped with the other job routes by <see cref="ImageJobEndpoints"/>.
/// </summary>
public static partial class ImageJobControlEndpoints
{
    public const string LastEventIdHeader = "Last-Event-ID";

    /// <summary>
    /// Proxies JobStatus' status stream, rendering each view as the public job view (with this gateway's file URLs) and
    /// flushing event by event; heartbeats become <c>: heartbeat</c> comments. Leaving stops the upstream read.
    /// </summary>
    public static async Task StreamImageJobEvents(
        string id,
        HttpContext http,
        ImageJobViews views,
        IHostApplicationLifetime lifetime,
        CancellationToken requestAborted)
    {
        // A stopping gateway ends its streams at once (rather than holding the shutdown): clients resume elsewhere.
        using var open = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, lifetime.ApplicationStopping);
        var cancellationToken = open.Token;
        var lastEventId = http.Request.Headers[LastEventIdHeader].ToString();
        if (lastEventId.Length == 0)
        {
            lastEventId = null;
        }
        else if (lastEventId.Length > 41 || !EventId().IsMatch(lastEventId) || !ChatStreams.IsResumePoint(lastEventId)) // as JobStatus checks it
        {
            throw ApiException.BadField(LastEventIdHeader,
                $"The '{LastEventIdHeader}' header must be an event id ('<milliseconds>-<sequence>', e.g. '1764855600000-0'), normally the last one received: the events after it are sent.");
        }

        var (jobId, _) = await views.GetOwnedAsync(id, http, cancellationToken);
        using var upstream = await views.Jobs.OpenEventsAsync(jobId, lastEventId, cancellationToken) ?? throw ImageJobViews.NotFound(id);

        EventStreamResponse.Begin(http);
        await http.Response.StartAsync(cancellationToken);
        var writer = http.Response.BodyWriter;
        try
        {
            await writer.FlushAsync(cancellationToken); // the headers now: an EventSource opens before the first event
            await using var stream = await upstream.Content.ReadAsStreamAsync(cancellationToken);
            var parser = SseParser.Create(stream);
            await foreach (var item in parser.EnumerateAsync(cancellationToken))
            {
                if (item.EventType == "status")
                {
                    var job = JsonSerializer.Deserialize(item.Data, GatewayJsonContext.Web.JobViewBody);
                    if (job is null)
                    {
                        continue;
                    }

                    var view = await views.RenderAsync(jobId, job, http.Request, cancellationToken);
                    writer.Write(Encoding.UTF8.GetBytes($"id: {parser.LastEventId}\nevent: status\ndata: "));
                    using (var json = new Utf8JsonWriter(writer))
                    {
                        JsonSerializer.Serialize(json, view, GatewayJsonContext.Web.MultimodalImageResponse);
                    }

                    writer.Write("\n\n"u8);
                }
                else
                {
                    writer.Write(": heartbeat\n\n"u8);
                }

                await writer.FlushAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // the client went away (or this gateway is stopping); disposing the upstream response closes JobStatus' side
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            // JobStatus went away mid-stream (a restart): end here; the client resumes with Last-Event-ID
        }
    }

    /// <summary>200 with the canceled job; 409 job_not_cancelable with the job when it had already ended.</summary>
    public static async Task<IResult> CancelImageJob(string id, HttpContext http, ImageJobViews views, CancellationToken cancellationToken)
    {
        var (jobId, _) = await views.GetOwnedAsync(id, http, cancellationToken);
        var outcome = await views.Jobs.CancelAsync(jobId, cancellationToken) ?? throw ImageJobViews.NotFound(id);
        var view = await views.RenderAsync(jobId, outcome.Job, http.Request, cancellationToken);
        if (outcome.Canceled)
        {
            return TypedResults.Json(view, GatewayJsonContext.Web.MultimodalImageResponse);
        }

        var state = outcome.Job.State ?? JobStates.Pending;
        var error = new ErrorObject(
            $"Image job '{view.Id}' has already ended ({state}) and can no longer be canceled.",
            ErrorTypes.InvalidRequest,
            GatewayErrorCodes.JobNotCancelable,
            new Dictionary<string, string> { ["status"] = state });
        http.Response.Headers[ApiException.ShouldRetryHeader] = "false"; // an ended job stays ended: no SDK retries
        return TypedResults.Json(new JobNotCancelableResponse(error, view), GatewayJsonContext.Web.JobNotCancelableResponse,
            statusCode: StatusCodes.Status409Conflict);
    }

    [GeneratedRegex("^[0-9]{1,20}-[0-9]{1,20}$", RegexOptions.CultureInvariant)]
    private static partial Regex EventId();
}

using System.Net;
using System.Text.Json;

namespace CCApi.Gateway.Dispatch;

/// <summary>The outcome of a cancel: the job view, and whether this request canceled it (false: it had already ended).</summary>
public sealed record JobCancelOutcome(bool Canceled, JobViewBody Job);

/// <summary>JobStatus' internal job control: the status stream (GET /jobs/{id}/events) and cancel (POST /jobs/{id}/cancel).</summary>
public sealed partial class JobStatusClient
{
    /// <summary>
    /// Opens the job's status stream (server-sent events) after <paramref name="lastEventId"/>; null when JobStatus does
    /// not know the job. The caller owns (and disposes) the response; disposing it closes the upstream stream.
    /// <see cref="HttpClient.Timeout"/> covers only the headers: the body is read for as long as the job runs.
    /// </summary>
    public async Task<HttpResponseMessage?> OpenEventsAsync(Guid jobId, string? lastEventId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"jobs/{jobId:D}/events");
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        HttpResponseMessage? response = null;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                response.Dispose();
                return null;
            }

            response.EnsureSuccessStatusCode();
            return response;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            response?.Dispose();
            throw Unavailable();
        }
    }

    /// <summary>Asks JobStatus to cancel the job; null when it does not know the job.</summary>
    public async Task<JobCancelOutcome?> CancelAsync(Guid jobId, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.PostAsync($"jobs/{jobId:D}/cancel", content: null, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            var canceled = response.StatusCode != HttpStatusCode.Conflict;
            if (canceled)
            {
                response.EnsureSuccessStatusCode();
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var job = await JsonSerializer.DeserializeAsync(body, GatewayJsonContext.Web.JobViewBody, cancellationToken)
                ?? throw new JsonException("JobStatus answered a cancel without the job.");
            return new JobCancelOutcome(canceled, job);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw Unavailable();
        }
    }

    private static ApiException Unavailable() =>
        new(503, ErrorTypes.Api, GatewayErrorCodes.ServiceUnavailable, "Job status is unavailable right now; retry shortly.");
}

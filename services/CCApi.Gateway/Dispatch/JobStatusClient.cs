using System.Net;
using System.Text.Json;

namespace CCApi.Gateway.Dispatch;

/// <summary>The JobStatus service's internal HTTP API (GET /jobs/{id}) over a pooled, factory-managed HttpClient.</summary>
public sealed partial class JobStatusClient(HttpClient http)
{
    /// <summary>
    /// The newest asynchronous jobs of every key, newest first (the admin API's job list), after the job
    /// <paramref name="after"/> when given; null when that job is not in the list.
    /// </summary>
    public async Task<JobListBody?> ListRecentAsync(int limit, Guid? after, CancellationToken cancellationToken)
    {
        try
        {
            var query = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"jobs?limit={limit}{(after is { } cursor ? "&after=" + cursor.ToString("N") : "")}");
            using var response = await http.GetAsync(query, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (after is not null && response.StatusCode == HttpStatusCode.BadRequest)
            {
                return null; // the cursor is not in JobStatus' index
            }

            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            return await JsonSerializer.DeserializeAsync(body, GatewayJsonContext.Web.JobListBody, cancellationToken)
                ?? throw new JsonException("JobStatus answered no job list.");
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new ApiException(503, ErrorTypes.Api, GatewayErrorCodes.ServiceUnavailable, "Job status is unavailable right now; retry shortly.");
        }
    }

    /// <summary>The job, or null when JobStatus does not know it.</summary>
    public async Task<JobViewBody?> GetAsync(Guid jobId, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync($"jobs/{jobId:D}", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            return await JsonSerializer.DeserializeAsync(body, GatewayJsonContext.Web.JobViewBody, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new ApiException(503, ErrorTypes.Api, GatewayErrorCodes.ServiceUnavailable, "Job status is unavailable right now; retry shortly.");
        }
    }
}

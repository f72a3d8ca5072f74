using System.Net;
using System.Text.Json;

namespace CCApi.Gateway.Dispatch;

/// <summary>JobStatus' internal webhook route (POST /jobs/{id}/webhook/redeliver) over a pooled, factory-managed HttpClient.</summary>
public sealed class JobStatusWebhookClient(HttpClient http)
{
    /// <summary>
    /// Starts a new delivery series. JobStatus' 4xx answers (404 unknown job, 409 no webhook / not finished / under way)
    /// come back as the same CCAPI error; anything else is a 503.
    /// </summary>
    public async Task RedeliverAsync(Guid jobId, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.PostAsync($"jobs/{jobId:D}/webhook/redeliver", content: null, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            var status = (int)response.StatusCode;
            if (status is >= 400 and < 500 && response.StatusCode != HttpStatusCode.TooManyRequests)
            {
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                var error = (await JsonSerializer.DeserializeAsync(body, GatewayJsonContext.Web.ErrorResponse, cancellationToken))?.Error;
                if (error is not null)
                {
                    throw new ApiException(status, error.Type, error.Code, error.Message, error.Details)
                    {
                        ShouldRetry = response.Headers.TryGetValues(ApiException.ShouldRetryHeader, out var retry) && bool.TryParse(retry.FirstOrDefault(), out var should)
                            ? should
                            : null, // JobStatus' word on whether it clears by itself (a delivery under way does)
                    };
                }
            }

            throw new HttpRequestException($"JobStatus answered HTTP {status}.");
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new ApiException(503, ErrorTypes.Api, GatewayErrorCodes.ServiceUnavailable, "Job status is unavailable right now; retry shortly.");
        }
    }
}

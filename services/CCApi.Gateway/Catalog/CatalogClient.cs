using System.Net;

namespace CCApi.Gateway.Catalog;

/// <summary>The Catalog service's internal HTTP API over a pooled, factory-managed HttpClient.</summary>
public sealed class CatalogClient(HttpClient http)
{
    public async Task<CatalogDocument> GetCatalogAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync("catalog", cancellationToken);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await System.Text.Json.JsonSerializer.DeserializeAsync(body, GatewayJsonContext.Web.CatalogDocument, cancellationToken)
            ?? throw new InvalidDataException("The catalog was empty.");
    }

    /// <summary>GET a public listing (<c>models?…</c>, <c>providers</c>, …) and hand back its status and body unchanged.</summary>
    public async Task<RelayedResponse> RelayAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(pathAndQuery, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return new RelayedResponse((int)response.StatusCode, response.Content.Headers.ContentType?.ToString() ?? "application/json", body);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new ApiException((int)HttpStatusCode.ServiceUnavailable, ErrorTypes.Api, GatewayErrorCodes.ServiceUnavailable,
                "The model catalog is unavailable right now; retry shortly.");
        }
    }
}

public sealed record RelayedResponse(int Status, string ContentType, string Body);

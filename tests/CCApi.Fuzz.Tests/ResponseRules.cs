using System.Collections.Concurrent;
using System.Text.Json;

namespace CCApi.Fuzz.Tests;

/// <summary>
/// What every answer to hostile input must be: a success, or a 4xx with the CCAPI error object (naming the field when
/// the error is about one) — never a 500; a 5xx only as one of the documented provider/dependency answers (502
/// provider_error, 503 provider_unavailable/service_unavailable, 504 provider_timeout), with the error object too.
/// Counts what it saw, for the figures in bench/results.
/// </summary>
public sealed class ResponseRules
{
    private static readonly HashSet<string> DocumentedServerCodes =
        ["provider_error", "provider_unavailable", "provider_timeout", "service_unavailable", "timeout"];

    private static readonly HashSet<string> FieldCodes = ["missing_field", "invalid_json"];

    private readonly ConcurrentDictionary<int, int> _byStatus = new();
    private int _requests;
    private int _serverErrors;

    public int Requests => _requests;

    public int ServerErrors => _serverErrors;

    public IReadOnlyDictionary<int, int> ByStatus => _byStatus;

    /// <summary>Checks one answer; returns null when it is acceptable, else what is wrong with it.</summary>
    public async Task<string?> CheckAsync(HttpResponseMessage response)
    {
        Interlocked.Increment(ref _requests);
        var status = (int)response.StatusCode;
        _byStatus.AddOrUpdate(status, 1, (_, n) => n + 1);
        var body = await response.Content.ReadAsStringAsync();
        if (status >= 500)
        {
            Interlocked.Increment(ref _serverErrors);
        }

        if (status < 400)
        {
            return status is >= 200 and < 300 || response.StatusCode == HttpStatusCode.NotModified ? null : $"unexpected status {status}";
        }

        JsonNode? error;
        try
        {
            error = JsonNode.Parse(body)?["error"];
        }
        catch (JsonException)
        {
            return $"HTTP {status} without a JSON body: {Truncate(body)}";
        }

        if (error?["message"]?.GetValueKind() != JsonValueKind.String || error["type"]?.GetValueKind() != JsonValueKind.String)
        {
            return $"HTTP {status} without the CCAPI error object: {Truncate(body)}";
        }

        var code = error["code"]?.GetValue<string>();
        if (status >= 500 && (status == 500 || code is null || !DocumentedServerCodes.Contains(code)))
        {
            return $"HTTP {status} is not a documented answer to client input: {Truncate(body)}";
        }

        if (code is not null && FieldCodes.Contains(code) && string.IsNullOrEmpty(error["details"]?["param"]?.GetValue<string>()))
        {
            return $"HTTP {status} {code} does not name the field (details.param): {Truncate(body)}";
        }

        if (error["param"]?.GetValue<string>() != error["details"]?["param"]?.GetValue<string>())
        {
            return $"HTTP {status}: 'param' (what the OpenAI SDKs read) is not details.param: {Truncate(body)}";
        }

        return null;
    }

    public string Summary() =>
        $"{_requests} requests, {_serverErrors} with 5xx; by status: " +
        string.Join(", ", _byStatus.OrderBy(p => p.Key).Select(p => $"{p.Key}×{p.Value}"));

    private static string Truncate(string text) => text.Length <= 400 ? text : text[..400] + "…";
}

using System.Text.Json.Serialization;
using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using CCApi.JobStatus.Webhooks;
using CCApi.ServiceDefaults;

namespace CCApi.JobStatus;

/// <summary>Source-generated JSON for responses, webhook payloads and the JSON members of the job hash (snake_case, nulls omitted).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JobView))]
[JsonSerializable(typeof(JobList))]
[JsonSerializable(typeof(IReadOnlyList<GeneratedImage>))]
[JsonSerializable(typeof(Usage))]
[JsonSerializable(typeof(ErrorInfo))]
[JsonSerializable(typeof(WebhookPayload))]
public sealed partial class JobStatusJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The context for bodies people read: the generated options plus a relaxed encoder, so quotes, '&amp;' in URLs and
    /// non-ASCII text are written as OpenAI's API writes them (\" rather than \u0022).
    /// </summary>
    public static JobStatusJsonContext Web { get; } = new(CcapiJson.Readable());
}

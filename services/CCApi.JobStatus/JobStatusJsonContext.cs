using System.Text.Json.Serialization;
using CCApi.Contracts;
using CCApi.JobStatus.Jobs;
using CCApi.JobStatus.Webhooks;

namespace CCApi.JobStatus;

/// <summary>Source-generated JSON for responses, webhook payloads and the JSON members of the job hash (snake_case, nulls omitted).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JobView))]
[JsonSerializable(typeof(IReadOnlyList<GeneratedImage>))]
[JsonSerializable(typeof(Usage))]
[JsonSerializable(typeof(ErrorInfo))]
[JsonSerializable(typeof(WebhookPayload))]
public sealed partial class JobStatusJsonContext : JsonSerializerContext;

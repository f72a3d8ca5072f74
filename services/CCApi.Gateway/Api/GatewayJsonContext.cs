using System.Text.Json.Serialization;

namespace CCApi.Gateway.Api;

/// <summary>
/// Source-generated JSON for every body the gateway reads or writes on the request path: snake_case, nulls omitted,
/// strict about types (so a wrong type is a JsonException with the field's path, answered as 400 invalid_json) and
/// about duplicate property names (<c>{"model":"a","model":"b"}</c> is refused rather than read as whichever one wins:
/// raw JSON parts are passed on to upstreams, which might pick the other one).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowDuplicateProperties = false)]
[JsonSerializable(typeof(ChatCompletionRequestBody))]
[JsonSerializable(typeof(ChatCompletionResponse))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(SpeechRequestBody))]
[JsonSerializable(typeof(SpeechResponse))]
[JsonSerializable(typeof(ImageGenerationsRequestBody))]
[JsonSerializable(typeof(ImageGenerationsResponse))]
[JsonSerializable(typeof(ImageStreamEvent))]
[JsonSerializable(typeof(ImagePartialEvent))]
[JsonSerializable(typeof(SpeechAudioDeltaEvent))]
[JsonSerializable(typeof(SpeechAudioDoneEvent))]
[JsonSerializable(typeof(ImageTokenUsage))]
[JsonSerializable(typeof(ImageGenerateRequestBody))]
[JsonSerializable(typeof(MultimodalImageResponse))]
[JsonSerializable(typeof(JobViewBody))]
[JsonSerializable(typeof(JobListBody))]
[JsonSerializable(typeof(AdminJobList))]
[JsonSerializable(typeof(JobNotCancelableResponse))]
[JsonSerializable(typeof(CatalogDocument))]
[JsonSerializable(typeof(ErrorResponse))]
public sealed partial class GatewayJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The context for bodies people read: the generated options plus a relaxed encoder, so quotes, '&amp;' in URLs and
    /// non-ASCII text are written as OpenAI's API writes them (\" rather than \u0022).
    /// </summary>
    public static GatewayJsonContext Web { get; } = new(CcapiJson.Readable(allowDuplicateProperties: false));
}

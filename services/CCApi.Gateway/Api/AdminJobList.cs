using System.Text.Json.Serialization;

namespace CCApi.Gateway.Api;

/// <summary>A page of the newest asynchronous jobs of every key (GET /admin/v1/jobs), each with its <c>key_id</c>.</summary>
public sealed record AdminJobList(IReadOnlyList<MultimodalImageResponse> Data, bool HasMore)
{
    [JsonPropertyOrder(-1)]
    public string Object => "list";
}

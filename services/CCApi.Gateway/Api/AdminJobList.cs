using System.Text.Json.Serialization;

namespace CCApi.Gateway.Api;

/// <summary>A page of the newest asynchronous jobs of every key (GET /admin/v1/jobs), each with its <c>key_id</c>.</summary>
public sealed record AdminJobList(IReadOnlyList<MultimodalImageResponse> Data, bool HasMore)
{
    [JsonPropertyOrder(-1)]
    public string Object => "list";

    /// <summary>The first job of the page (null when empty, and written so), as OpenAI's lists have it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FirstId => Data.Count > 0 ? Data[0].Id : null;

    /// <summary>The last job of the page: <c>after</c> for the next one (null when empty, and written so).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? LastId => Data.Count > 0 ? Data[^1].Id : null;
}

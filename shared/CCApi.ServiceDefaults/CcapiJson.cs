using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CCApi.ServiceDefaults;

/// <summary>The JSON options of bodies people read, for the source-generated contexts that write them.</summary>
public static class CcapiJson
{
    /// <summary>
    /// snake_case, nulls omitted (what the contexts' generated options say too), plus a relaxed encoder, so quotes, '&amp;'
    /// in URLs and non-ASCII text are written as OpenAI's API writes them (\" rather than \u0022). New options each call:
    /// a context takes ownership of the options it is given.
    /// </summary>
    public static JsonSerializerOptions Readable(bool allowDuplicateProperties = true) => new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        AllowDuplicateProperties = allowDuplicateProperties,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}

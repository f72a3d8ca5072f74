using System.Text.Json;
using CCApi.Adapters.Hosting;

namespace CCApi.Adapters.StabilityAI.Upstream;

/// <summary>
/// Stability's error body, <c>{"id","name","message"}</c> (e.g. <c>{"name":"bad_request","message":"init_image: is required"}</c>):
/// <c>name</c> becomes the provider code, and the field the message or the name points at becomes the CCAPI field the
/// client sent (details.param). Any other shape falls back to <see cref="UpstreamErrorBody.Parse"/>.
/// </summary>
public static class StabilityErrorBody
{
    /// <summary>Stability request fields → the CCAPI request field they come from.</summary>
    private static readonly (string Prefix, string Field)[] Fields =
    [
        ("text_prompts", "prompt"), ("height", "size"), ("width", "size"), ("samples", "n"), ("cfg_scale", "parameters.guidance_scale"),
        ("steps", "parameters.steps"), ("seed", "parameters.seed"), ("style_preset", "style"), ("image_strength", "parameters.strength"),
        ("init_image", GenerationPlan.InputField),
    ];

    /// <summary>Stability's specific 400 names → the CCAPI field at fault.</summary>
    private static readonly Dictionary<string, string> Names = new(StringComparer.Ordinal)
    {
        ["invalid_prompts"] = "prompt",
        ["invalid_height_or_width"] = "size",
        ["invalid_pixel_count"] = "size",
        ["invalid_samples"] = "n",
        ["invalid_file_size"] = GenerationPlan.InputField,
        ["invalid_mime_type"] = GenerationPlan.InputField,
        ["invalid_image_dimensions"] = GenerationPlan.InputField,
    };

    public static UpstreamErrorBody? Parse(string? body) => UpstreamErrorBody.Parse(body, static root =>
    {
        if ((Text(root, "name") is not null || Text(root, "id") is not null) && Text(root, "message") is { } message)
        {
            var name = Text(root, "name");
            return new UpstreamErrorBody(message, Type: null, Code: name, Param: FieldOf(name, message));
        }

        return null;
    });

    /// <summary>The CCAPI field a Stability error is about: from its name, else from the message's "field: …" prefix.</summary>
    public static string? FieldOf(string? name, string message)
    {
        if (name is not null && Names.TryGetValue(name, out var byName))
        {
            return byName;
        }

        var colon = message.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return null;
        }

        var subject = message[..colon];
        return Fields.FirstOrDefault(f => subject.StartsWith(f.Prefix, StringComparison.Ordinal)).Field;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

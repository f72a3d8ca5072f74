namespace CCApi.Emulators.OpenAI;

/// <summary>
/// gpt-image's output options as OpenAI checks them on /images/generations and /images/edits: <c>output_format</c> png,
/// jpeg or webp; <c>output_compression</c> 0–100, for jpeg/webp only; <c>background</c> transparent, opaque or auto
/// (transparent needs png or webp); <c>moderation</c> low or auto. dall-e models take none of them. The emulated image
/// is answered in the format asked for (its bytes only need to sniff as that format).
/// </summary>
internal sealed record GptImageOptions(byte[] Image, (string Param, string Message, string? Code)? Problem)
{
    /// <summary>A JPEG that sniffs as one: SOI, a JFIF APP0 segment, EOI.</summary>
    public static readonly byte[] Jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xFF, 0xD9];

    /// <summary>A WebP that sniffs as one: the RIFF header and an empty lossless chunk.</summary>
    public static readonly byte[] WebP = [.. "RIFF"u8, 0x0C, 0x00, 0x00, 0x00, .. "WEBP"u8, .. "VP8L"u8, 0x00, 0x00, 0x00, 0x00];

    public static GptImageOptions Read(string model, string? outputFormat, int? outputCompression, string? background, string? moderation)
    {
        GptImageOptions Invalid(string param, string message, string? code = null) => new(OpenAIEndpoints.Png, (param, message, code));
        if (model.StartsWith("dall-e", StringComparison.Ordinal))
        {
            foreach (var (param, set) in new[] { ("output_format", outputFormat is not null), ("output_compression", outputCompression is not null), ("background", background is not null), ("moderation", moderation is not null) })
            {
                if (set)
                {
                    return Invalid(param, $"Unknown parameter: '{param}'.", "unknown_parameter");
                }
            }
        }

        if (outputFormat is not (null or "png" or "jpeg" or "webp"))
        {
            return Invalid("output_format", $"Invalid value: '{outputFormat}'. Supported values are: 'png', 'jpeg', and 'webp'.", "invalid_value");
        }

        if (outputCompression is { } compression && (compression is < 0 or > 100 || outputFormat is null or "png"))
        {
            return Invalid("output_compression", "Compression is supported for jpeg and webp output formats only, from 0 to 100.");
        }

        if (background is not (null or "transparent" or "opaque" or "auto"))
        {
            return Invalid("background", $"Invalid value: '{background}'. Supported values are: 'transparent', 'opaque', and 'auto'.", "invalid_value");
        }

        if (background == "transparent" && outputFormat == "jpeg")
        {
            return Invalid("background", "Transparent background requires an output format of png or webp.");
        }

        if (moderation is not (null or "low" or "auto"))
        {
            return Invalid("moderation", $"Invalid value: '{moderation}'. Supported values are: 'low' and 'auto'.", "invalid_value");
        }

        return new(outputFormat switch { "jpeg" => Jpeg, "webp" => WebP, _ => OpenAIEndpoints.Png }, null);
    }
}

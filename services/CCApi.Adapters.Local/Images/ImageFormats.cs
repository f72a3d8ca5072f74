namespace CCApi.Adapters.Local.Images;

/// <summary>Recognises input images by their magic bytes, never by what the client claims.</summary>
public static class ImageFormats
{
    /// <summary>"image/png", "image/jpeg", "image/webp", "image/gif", or null when the bytes are none of them.</summary>
    public static string? Sniff(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith(PngEncoder.Signature))
        {
            return "image/png";
        }

        if (bytes.Length >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF)
        {
            return "image/jpeg";
        }

        if (bytes.Length >= 12 && bytes[..4].SequenceEqual("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8))
        {
            return "image/webp";
        }

        if (bytes.StartsWith("GIF87a"u8) || bytes.StartsWith("GIF89a"u8))
        {
            return "image/gif";
        }

        return null;
    }
}

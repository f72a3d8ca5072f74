using System.Buffers.Binary;

namespace CCApi.Storage;

/// <summary>
/// The image formats the platform reads, recognised by their magic bytes — never by what a client or a provider
/// claims. One place for the gateway (uploads, base64 inputs), every adapter (input images, provider results) and the
/// blob store's content types.
/// </summary>
public static class ImageBytes
{
    public const string Png = "image/png";
    public const string Jpeg = "image/jpeg";
    public const string Webp = "image/webp";
    public const string Gif = "image/gif";

    /// <summary>PNG, JPEG, WebP or GIF by magic bytes; null for anything else. What an input image may be.</summary>
    public static string? Sniff(ReadOnlySpan<byte> bytes) =>
        bytes.StartsWith(PngSignature) ? Png
        : bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]) ? Jpeg
        : bytes.Length >= 12 && bytes[..4].SequenceEqual("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8) ? Webp
        : bytes.StartsWith("GIF87a"u8) || bytes.StartsWith("GIF89a"u8) ? Gif
        : null;

    /// <summary>
    /// PNG, JPEG or WebP — the formats a generated image is answered and served in (<c>output_format</c>) — by magic
    /// bytes; null for anything else, GIF included: a provider result in another format is malformed.
    /// </summary>
    public static string? SniffGenerated(ReadOnlySpan<byte> bytes) => Sniff(bytes) is { } type and not Gif ? type : null;

    /// <summary>A PNG's width and height from its IHDR chunk; null when the bytes are not a PNG.</summary>
    public static (int Width, int Height)? PngSize(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 24 && bytes.StartsWith(PngSignature) && bytes[12..16].SequenceEqual("IHDR"u8)
            ? ((int)BinaryPrimitives.ReadUInt32BigEndian(bytes[16..20]), (int)BinaryPrimitives.ReadUInt32BigEndian(bytes[20..24]))
            : null;

    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
}

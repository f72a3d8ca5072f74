using System.Buffers.Binary;
using System.IO.Compression;

namespace CCApi.Adapters.Local.Images;

/// <summary>
/// A minimal PNG writer (no imaging package is available here): 8-bit truecolour RGB, one IDAT chunk compressed with
/// zlib, each scanline with the "Sub" filter (cheap, and it shrinks smooth gradients a lot). Fast by design:
/// <see cref="CompressionLevel.Fastest"/>, so a 1024×1024 image encodes in a few tens of milliseconds.
/// </summary>
public static class PngEncoder
{
    public static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private const byte FilterSub = 1;

    /// <summary>Encodes <paramref name="rgb"/> (row-major, 3 bytes per pixel, no padding) as a PNG file.</summary>
    public static byte[] EncodeRgb(ReadOnlySpan<byte> rgb, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        var stride = checked(width * 3);
        if (rgb.Length != checked(stride * height))
        {
            throw new ArgumentException($"Expected {stride * height} bytes of RGB pixels, got {rgb.Length}.", nameof(rgb));
        }

        using var compressed = new MemoryStream(capacity: rgb.Length / 4 + 1024);
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            var line = new byte[stride + 1];
            line[0] = FilterSub;
            for (var y = 0; y < height; y++)
            {
                var row = rgb.Slice(y * stride, stride);
                row[..3].CopyTo(line.AsSpan(1));
                for (var i = 3; i < stride; i++)
                {
                    line[i + 1] = unchecked((byte)(row[i] - row[i - 3]));
                }

                zlib.Write(line);
            }
        }

        using var png = new MemoryStream(capacity: (int)compressed.Length + 64);
        png.Write(Signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 2;  // colour type: truecolour
        ihdr[10] = 0; // compression: deflate
        ihdr[11] = 0; // filter method: adaptive (per-line filter byte)
        ihdr[12] = 0; // no interlace
        WriteChunk(png, "IHDR"u8, ihdr);
        WriteChunk(png, "IDAT"u8, compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        WriteChunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        type.CopyTo(header[4..]);
        output.Write(header);
        output.Write(data);

        var crc = Crc32.Update(Crc32.Start, type);
        crc = Crc32.Finish(Crc32.Update(crc, data));
        Span<byte> trailer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(trailer, crc);
        output.Write(trailer);
    }
}

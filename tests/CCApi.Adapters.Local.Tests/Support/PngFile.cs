using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace CCApi.Adapters.Local.Tests.Support;

/// <summary>
/// An independent PNG reader for the tests: walks the chunks, checks every CRC with a bit-by-bit CRC-32 (not the
/// adapter's table), inflates the IDAT data and undoes all five scanline filters.
/// </summary>
public sealed class PngFile
{
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required byte BitDepth { get; init; }
    public required byte ColorType { get; init; }
    public required IReadOnlyList<string> ChunkTypes { get; init; }

    /// <summary>The inflated IDAT stream: per row, one filter byte then the filtered pixels.</summary>
    public required byte[] Inflated { get; init; }

    public int BytesPerPixel => ColorType switch { 2 => 3, 6 => 4, 0 => 1, 4 => 2, _ => throw new NotSupportedException() };

    public static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static PngFile Read(byte[] bytes)
    {
        if (!bytes.AsSpan(0, 8).SequenceEqual(Signature))
        {
            throw new FormatException("bad PNG signature");
        }

        var types = new List<string>();
        var idat = new MemoryStream();
        int? width = null, height = null;
        byte depth = 0, colorType = 0;
        var position = 8;
        while (position < bytes.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(position));
            var type = Encoding.ASCII.GetString(bytes, position + 4, 4);
            var data = bytes.AsSpan(position + 8, length);
            var crc = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(position + 8 + length));
            var expected = BitwiseCrc32(bytes.AsSpan(position + 4, 4 + length));
            if (crc != expected)
            {
                throw new FormatException($"CRC mismatch in {type}: {crc:x8} != {expected:x8}");
            }

            types.Add(type);
            switch (type)
            {
                case "IHDR":
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    depth = data[8];
                    colorType = data[9];
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
            }

            position += 12 + length;
        }

        idat.Position = 0;
        using var zlib = new ZLibStream(idat, CompressionMode.Decompress);
        var inflated = new MemoryStream();
        zlib.CopyTo(inflated);
        return new PngFile
        {
            Width = width ?? throw new FormatException("no IHDR"),
            Height = height!.Value,
            BitDepth = depth,
            ColorType = colorType,
            ChunkTypes = types,
            Inflated = inflated.ToArray(),
        };
    }

    /// <summary>The raw pixels after undoing each row's filter (None, Sub, Up, Average, Paeth).</summary>
    public byte[] Pixels()
    {
        var bpp = BytesPerPixel;
        var stride = Width * bpp;
        var pixels = new byte[stride * Height];
        for (var y = 0; y < Height; y++)
        {
            var filter = Inflated[y * (stride + 1)];
            for (var x = 0; x < stride; x++)
            {
                var raw = Inflated[(y * (stride + 1)) + 1 + x];
                int a = x >= bpp ? pixels[(y * stride) + x - bpp] : 0;
                int b = y > 0 ? pixels[((y - 1) * stride) + x] : 0;
                int c = x >= bpp && y > 0 ? pixels[((y - 1) * stride) + x - bpp] : 0;
                var predictor = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new FormatException($"bad filter {filter}"),
                };
                pixels[(y * stride) + x] = (byte)(raw + predictor);
            }
        }

        return pixels;
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var (pa, pb, pc) = (Math.Abs(p - a), Math.Abs(p - b), Math.Abs(p - c));
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    public static uint BitwiseCrc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}

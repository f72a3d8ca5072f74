using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace CCApi.Emulators;

/// <summary>Real PNG files for the emulators' answers: a solid RGB image of the asked size (or of a colour derived from a seed), and reading a PNG's size back.</summary>
public static class PngImage
{
    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>A solid image whose colour is derived from <paramref name="seed"/> (the same seed, the same image).</summary>
    public static byte[] Solid(string seed, int width = 64, int height = 64)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(seed));
        return Solid(width, height, hash[0], hash[1], hash[2]);
    }

    public static byte[] Solid(int width, int height, byte r, byte g, byte b)
    {
        var row = new byte[1 + (width * 3)]; // filter byte 0 (None), then RGB triplets
        for (var x = 0; x < width; x++)
        {
            row[1 + (x * 3)] = r;
            row[2 + (x * 3)] = g;
            row[3 + (x * 3)] = b;
        }

        return Encode(width, height, 2, row); // colour type 2: truecolour
    }

    /// <summary>
    /// A fully transparent RGBA image (colour type 6): as an OpenAI mask it marks every pixel for editing; as a dall-e-2
    /// input its transparency is its own mask.
    /// </summary>
    public static byte[] Transparent(int width, int height)
    {
        var row = new byte[1 + (width * 4)]; // filter byte 0 (None), then RGBA quadruplets, all zero
        return Encode(width, height, 6, row); // colour type 6: truecolour with alpha
    }

    /// <summary>An 8-bit PNG of <paramref name="height"/> copies of one filtered scanline <paramref name="row"/>.</summary>
    private static byte[] Encode(int width, int height, byte colourType, byte[] row)
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            for (var y = 0; y < height; y++)
            {
                zlib.Write(row);
            }
        }

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;  // bit depth
        header[9] = colourType;
        using var png = new MemoryStream();
        png.Write(Signature);
        WriteChunk(png, "IHDR", header);
        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>Width and height from the IHDR chunk; null when the bytes are not a PNG.</summary>
    public static (int Width, int Height)? SizeOf(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 24 && bytes.StartsWith(Signature) && bytes[12..16].SequenceEqual("IHDR"u8)
            ? (BinaryPrimitives.ReadInt32BigEndian(bytes[16..]), BinaryPrimitives.ReadInt32BigEndian(bytes[20..]))
            : null;

    public static bool IsPng(ReadOnlySpan<byte> bytes) => bytes.StartsWith(Signature);

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        png.Write(typeBytes);
        png.Write(data);
        var crc = Crc(Crc(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        Span<byte> crcBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc);
        png.Write(crcBytes);
    }

    private static uint Crc(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}

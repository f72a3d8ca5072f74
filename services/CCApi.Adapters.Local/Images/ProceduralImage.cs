using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace CCApi.Adapters.Local.Images;

/// <summary>An RGB colour.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    public static Rgb Lerp(Rgb a, Rgb b, float t) => new(
        (byte)(a.R + ((b.R - a.R) * t)),
        (byte)(a.G + ((b.G - a.G) * t)),
        (byte)(a.B + ((b.B - a.B) * t)));

    /// <summary>A colour from the first bytes of a hash, kept away from black so tints stay visible.</summary>
    public static Rgb FromHash(ReadOnlySpan<byte> hash) => new((byte)(64 + (hash[0] % 192)), (byte)(64 + (hash[1] % 192)), (byte)(64 + (hash[2] % 192)));
}

/// <summary>What to draw: the prompt picks the palette, the seed the pattern, inputs an optional tint.</summary>
public sealed record ImageSpec(string Prompt, long Seed, int Width, int Height, Rgb? Tint = null, float TintStrength = 0.35f);

/// <summary>
/// The "model" of pixel-1: a deterministic procedural painter, not a diffusion model. A palette derived from a hash of
/// the prompt, a plasma field (sums of sines, one of them radial) whose frequencies and phases come from the seed, and
/// a few soft discs on top. Same prompt + seed + size → identical pixels; another seed → another picture.
/// </summary>
public static class ProceduralImage
{
    private const int PaletteSize = 256;

    /// <summary>A seed for requests that gave none: stable for the prompt, within 0..2^31-1 so every client can hold it.</summary>
    public static long SeedFor(string prompt) =>
        BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(prompt))) & 0x7FFFFFFF;

    public static byte[] RenderPng(ImageSpec spec) => PngEncoder.EncodeRgb(RenderRgb(spec), spec.Width, spec.Height);

    /// <summary>
    /// A coarse preview of a rendered image (a streamed request's partial image): each <paramref name="block"/>-pixel
    /// square filled with its mean colour, as a diffusion model's early steps show the layout before the detail.
    /// </summary>
    public static byte[] Pixelate(byte[] rgb, int width, int height, int block)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        ArgumentOutOfRangeException.ThrowIfLessThan(block, 1);
        var coarse = new byte[rgb.Length];
        for (var by = 0; by < height; by += block)
        {
            for (var bx = 0; bx < width; bx += block)
            {
                var (x1, y1) = (Math.Min(bx + block, width), Math.Min(by + block, height));
                long r = 0, g = 0, b = 0;
                for (var y = by; y < y1; y++)
                {
                    for (var x = bx; x < x1; x++)
                    {
                        var i = ((y * width) + x) * 3;
                        (r, g, b) = (r + rgb[i], g + rgb[i + 1], b + rgb[i + 2]);
                    }
                }

                var n = (x1 - bx) * (y1 - by);
                var (mr, mg, mb) = ((byte)(r / n), (byte)(g / n), (byte)(b / n));
                for (var y = by; y < y1; y++)
                {
                    for (var x = bx; x < x1; x++)
                    {
                        var i = ((y * width) + x) * 3;
                        (coarse[i], coarse[i + 1], coarse[i + 2]) = (mr, mg, mb);
                    }
                }
            }
        }

        return coarse;
    }

    public static byte[] RenderRgb(ImageSpec spec)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.Width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.Height, 1);
        var (w, h) = (spec.Width, spec.Height);
        var palette = Palette(spec.Prompt, spec.Tint, spec.TintStrength);
        var rng = new SplitMix64(Mix(spec.Prompt, spec.Seed));

        // Plasma parameters: frequencies in cycles per image side, so the pattern scales with the size.
        var fx = Tau * (0.5f + (rng.NextFloat() * 2.5f));
        var fy = Tau * (0.5f + (rng.NextFloat() * 2.5f));
        var angle = rng.NextFloat() * Tau;
        var fd = Tau * (0.5f + (rng.NextFloat() * 3f));
        var fr = Tau * (1f + (rng.NextFloat() * 4f));
        var (px, py, pd, pr) = (rng.NextFloat() * Tau, rng.NextFloat() * Tau, rng.NextFloat() * Tau, rng.NextFloat() * Tau);
        var (cx, cy) = (rng.NextFloat(), rng.NextFloat());
        var aspect = (float)w / h;
        var (da, db) = (MathF.Cos(angle) * fd, MathF.Sin(angle) * fd);

        // Separable terms precomputed per column/row; sin(a+b) = sin a cos b + cos a sin b for the diagonal one.
        var sx = new float[w];
        var dsx = new float[w];
        var dcx = new float[w];
        var ux = new float[w];
        for (var x = 0; x < w; x++)
        {
            var u = (x + 0.5f) / w;
            ux[x] = (u - cx) * aspect;
            sx[x] = MathF.Sin((u * fx) + px);
            dsx[x] = MathF.Sin(u * da);
            dcx[x] = MathF.Cos(u * da);
        }

        var rgb = new byte[w * h * 3];
        for (var y = 0; y < h; y++)
        {
            var v = (y + 0.5f) / h;
            var sy = MathF.Sin((v * fy) + py);
            var dsy = MathF.Sin((v * db) + pd);
            var dcy = MathF.Cos((v * db) + pd);
            var vy = v - cy;
            var vy2 = vy * vy;
            var offset = y * w * 3;
            for (var x = 0; x < w; x++)
            {
                var radial = MathF.Sin((MathF.Sqrt((ux[x] * ux[x]) + vy2) * fr) + pr);
                var value = sx[x] + sy + ((dsx[x] * dcy) + (dcx[x] * dsy)) + radial; // in [-4, 4]
                var index = (int)((value + 4f) * (PaletteSize - 1) / 8f);
                var c = palette[Math.Clamp(index, 0, PaletteSize - 1)];
                rgb[offset] = c.R;
                rgb[offset + 1] = c.G;
                rgb[offset + 2] = c.B;
                offset += 3;
            }
        }

        var discs = 3 + (int)(rng.Next() % 4);
        for (var i = 0; i < discs; i++)
        {
            var color = palette[(int)(rng.Next() % PaletteSize)];
            DrawDisc(rgb, w, h, rng.NextFloat() * w, rng.NextFloat() * h, (0.05f + (rng.NextFloat() * 0.2f)) * Math.Min(w, h), color, 0.35f + (rng.NextFloat() * 0.4f));
        }

        return rgb;
    }

    private const float Tau = MathF.PI * 2f;

    /// <summary>A soft-edged disc, alpha-blended, touching only its bounding box.</summary>
    private static void DrawDisc(byte[] rgb, int w, int h, float cx, float cy, float radius, Rgb color, float alpha)
    {
        var r = Math.Max(radius, 1f);
        var (x0, x1) = (Math.Max(0, (int)(cx - r)), Math.Min(w - 1, (int)(cx + r)));
        var (y0, y1) = (Math.Max(0, (int)(cy - r)), Math.Min(h - 1, (int)(cy + r)));
        var edge = Math.Max(1f, r * 0.15f);
        for (var y = y0; y <= y1; y++)
        {
            var dy = y + 0.5f - cy;
            for (var x = x0; x <= x1; x++)
            {
                var dx = x + 0.5f - cx;
                var d = MathF.Sqrt((dx * dx) + (dy * dy));
                if (d >= r)
                {
                    continue;
                }

                var a = alpha * Math.Min(1f, (r - d) / edge);
                var o = ((y * w) + x) * 3;
                rgb[o] = (byte)(rgb[o] + ((color.R - rgb[o]) * a));
                rgb[o + 1] = (byte)(rgb[o + 1] + ((color.G - rgb[o + 1]) * a));
                rgb[o + 2] = (byte)(rgb[o + 2] + ((color.B - rgb[o + 2]) * a));
            }
        }
    }

    /// <summary>Four key colours from the prompt's hash, interpolated around a cycle; a tint pulls them all toward one colour.</summary>
    private static Rgb[] Palette(string prompt, Rgb? tint, float tintStrength)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("palette:" + prompt));
        var keys = new Rgb[4];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = new Rgb(hash[i * 3], hash[(i * 3) + 1], hash[(i * 3) + 2]);
            if (tint is { } t)
            {
                keys[i] = Rgb.Lerp(keys[i], t, Math.Clamp(tintStrength, 0f, 1f));
            }
        }

        var palette = new Rgb[PaletteSize];
        for (var i = 0; i < PaletteSize; i++)
        {
            var position = i * keys.Length / (float)PaletteSize;
            var k = (int)position;
            var t = position - k;
            t = t * t * (3f - (2f * t)); // smoothstep, for softer bands
            palette[i] = Rgb.Lerp(keys[k], keys[(k + 1) % keys.Length], t);
        }

        return palette;
    }

    private static ulong Mix(string prompt, long seed)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(prompt));
        return BinaryPrimitives.ReadUInt64LittleEndian(hash) ^ (ulong)seed * 0x9E3779B97F4A7C15UL;
    }

    /// <summary>Small, fast, well-distributed deterministic PRNG (Steele et al.); System.Random's sequence is not a contract.</summary>
    private struct SplitMix64(ulong state)
    {
        private ulong _state = state;

        public ulong Next()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public float NextFloat() => (Next() >> 40) / (float)(1UL << 24);
    }
}

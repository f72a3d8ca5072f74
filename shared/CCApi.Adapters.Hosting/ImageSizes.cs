using System.Globalization;

namespace CCApi.Adapters.Hosting;

/// <summary>Fixed image size lists of providers that generate only those sizes (SDXL 1.0, OpenAI's image models).</summary>
public static class ImageSizes
{
    public static string Describe((int Width, int Height) size) => string.Create(CultureInfo.InvariantCulture, $"{size.Width}x{size.Height}");

    /// <summary>
    /// The size of <paramref name="sizes"/> closest in shape to <paramref name="aspectRatio"/> ("16:9"), the nearest in area
    /// among equal shapes, when width × height has that shape (within 2%): the gateway turns a bare <c>aspect_ratio</c> into a
    /// size with a 1024-pixel long side, which such a provider may not make, and the client asked for a shape, not for
    /// those exact pixels. Null when there is no ratio, it does not parse, or the size has another shape (explicit pixels).
    /// </summary>
    public static (int Width, int Height)? ForAspectRatio(IReadOnlyList<(int Width, int Height)> sizes, string? aspectRatio, int width, int height)
    {
        if (aspectRatio is null || ParseRatio(aspectRatio) is not { } ratio || width <= 0 || height <= 0)
        {
            return null;
        }

        if (Math.Abs(Math.Log((double)width / height) - Math.Log(ratio)) > Math.Log(1.02))
        {
            return null;
        }

        var area = (double)width * height;
        return sizes.MinBy(s => (Math.Round(Math.Abs(Math.Log((double)s.Width / s.Height) - Math.Log(ratio)), 6), Math.Abs(Math.Log(s.Width * (double)s.Height / area))));
    }

    private static double? ParseRatio(string ratio)
    {
        var colon = ratio.IndexOf(':', StringComparison.Ordinal);
        return colon > 0
               && double.TryParse(ratio.AsSpan(0, colon), NumberStyles.Float, CultureInfo.InvariantCulture, out var w)
               && double.TryParse(ratio.AsSpan(colon + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var h)
               && w > 0 && h > 0
            ? w / h
            : null;
    }
}

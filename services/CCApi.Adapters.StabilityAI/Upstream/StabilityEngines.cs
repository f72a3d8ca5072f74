using CCApi.Adapters.Hosting;
using System.Globalization;

namespace CCApi.Adapters.StabilityAI.Upstream;

/// <summary>What Stability's v1 generation API accepts per engine (API reference; see the README for the sources).</summary>
public static class StabilityEngines
{
    /// <summary>The only dimensions SDXL 1.0 (and 0.9) engines generate, width × height.</summary>
    public static readonly IReadOnlyList<(int Width, int Height)> SdxlDimensions =
    [
        (1024, 1024), (1152, 896), (896, 1152), (1216, 832), (832, 1216), (1344, 768), (768, 1344), (1536, 640), (640, 1536),
    ];

    /// <summary>style_preset values of the v1 generation API.</summary>
    public static readonly IReadOnlyList<string> StylePresets =
    [
        "3d-model", "analog-film", "anime", "cinematic", "comic-book", "digital-art", "enhance", "fantasy-art", "isometric",
        "line-art", "low-poly", "modeling-compound", "neon-punk", "origami", "photographic", "pixel-art", "tile-texture",
    ];

    public const int MaxSamples = 10;
    public const int MinSteps = 10;
    public const int MaxSteps = 50;
    public const double MaxCfgScale = 35;
    public const long MaxSeed = uint.MaxValue;
    public const int MaxPromptLength = 2000;

    /// <summary>SDXL engines ("stable-diffusion-xl-1024-v1-0", "-v0-9") only take the fixed list of dimensions.</summary>
    public static bool IsSdxl1024(string engine) => engine.StartsWith("stable-diffusion-xl-1024-", StringComparison.Ordinal);

    public static string Describe((int Width, int Height) size) => ImageSizes.Describe(size);

    /// <summary>
    /// Null when <paramref name="engine"/> can generate width × height; otherwise why not. SDXL 1024 engines: one of
    /// <see cref="SdxlDimensions"/>. Any other v1 engine: multiples of 64, each side ≥ 128, 262,144 ≤ pixels ≤ 1,048,576.
    /// </summary>
    public static string? SizeProblem(string engine, int width, int height)
    {
        if (IsSdxl1024(engine))
        {
            return SdxlDimensions.Contains((width, height))
                ? null
                : $"'{engine}' generates only these sizes: {string.Join(", ", SdxlDimensions.Select(Describe))}; got {Describe((width, height))}.";
        }

        if (width % 64 != 0 || height % 64 != 0 || width < 128 || height < 128)
        {
            return $"'{engine}' needs width and height in multiples of 64 (at least 128); got {Describe((width, height))}.";
        }

        var pixels = (long)width * height;
        return pixels is < 262_144 or > 1_048_576
            ? $"'{engine}' needs 262,144 to 1,048,576 pixels (width × height); {Describe((width, height))} is {pixels.ToString("N0", CultureInfo.InvariantCulture)}."
            : null;
    }

    /// <summary>The SDXL size closest in shape to <paramref name="aspectRatio"/> (<see cref="ImageSizes.ForAspectRatio"/>).</summary>
    public static (int Width, int Height)? SdxlSizeForAspectRatio(string? aspectRatio, int width, int height) =>
        ImageSizes.ForAspectRatio(SdxlDimensions, aspectRatio, width, height);
}

using System.Security.Cryptography;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.ServiceDefaults;

namespace CCApi.Adapters.Local.Images;

/// <summary>The pieces of an image job that are not bus plumbing: validation, input loading, rendering.</summary>
public sealed class ImageJob(ImageInputs images)
{
    public const int MaxSize = 2048;
    public const int MaxImages = 10;

    private static readonly string[] Operations = ["text-to-image", "image-to-image", "inpainting", "multi-image-remix", "variation"];

    /// <summary>400 naming the field for anything pixel-1 cannot do.</summary>
    public static void Validate(GenerateImage command)
    {
        if (!Operations.Contains(command.Operation))
        {
            throw ApiException.BadField("operation", $"Unsupported operation '{command.Operation}'. Supported: {string.Join(", ", Operations)}.");
        }

        if (string.IsNullOrWhiteSpace(command.Prompt) && command.Inputs is not { Count: > 0 } && command.Operation != "variation")
        {
            throw ApiException.Missing("prompt");
        }

        if (command.Operation != "text-to-image" && command.Inputs is not { Count: > 0 })
        {
            throw ApiException.BadField("contents", $"Operation '{command.Operation}' needs at least one input image.");
        }

        if (command.Width is < 1 or > MaxSize)
        {
            throw ApiException.BadField("width", $"'width' must be between 1 and {MaxSize} pixels.");
        }

        if (command.Height is < 1 or > MaxSize)
        {
            throw ApiException.BadField("height", $"'height' must be between 1 and {MaxSize} pixels.");
        }

        if (command.NumImages is < 1 or > MaxImages)
        {
            throw ApiException.BadField("num_images", $"'num_images' must be between 1 and {MaxImages}.");
        }
    }

    /// <summary>
    /// Fetches (URL, through the SSRF guard) or loads (blob) every input, checks by magic bytes that it is a PNG, JPEG,
    /// WebP or GIF — the adapter kit's <see cref="ImageInputs"/>, as every adapter loads them — and turns the inputs'
    /// content hashes into one tint colour. Masks are validated but do not tint.
    /// The field named in errors is "contents[i].image" / "contents[i].mask", where i counts the inputs in order.
    /// </summary>
    public async Task<Rgb?> LoadTintAsync(IReadOnlyList<ImageInput>? inputs, CancellationToken cancellationToken)
    {
        if (inputs is not { Count: > 0 })
        {
            return null;
        }

        var colours = new List<Rgb>();
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            var field = input.Field ?? $"contents[{i}].{(input.IsMask ? "mask" : "image")}";
            var bytes = (await images.LoadAsync(input, field, cancellationToken)).Bytes;
            if (!input.IsMask)
            {
                colours.Add(Rgb.FromHash(SHA256.HashData(bytes)));
            }
        }

        if (colours.Count == 0)
        {
            return null;
        }

        return new Rgb(
            (byte)colours.Average(c => c.R),
            (byte)colours.Average(c => c.G),
            (byte)colours.Average(c => c.B));
    }

    /// <summary>Tint weight: image-to-image "strength" is how far to move away from the input, so less strength, more tint.</summary>
    public static float TintStrength(double? strength) =>
        strength is { } s && !double.IsNaN(s) ? (float)Math.Clamp(1 - s, 0.1, 0.9) : 0.35f;

    /// <summary>The seed of image <paramref name="index"/>: the request's seed (or one derived from the prompt) plus the index.</summary>
    public static long SeedOf(GenerateImage command, int index) =>
        (command.Seed ?? ProceduralImage.SeedFor(command.Prompt)) + index;
}

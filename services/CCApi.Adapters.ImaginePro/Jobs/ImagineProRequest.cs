using CCApi.Contracts;
using CCApi.ServiceDefaults;

namespace CCApi.Adapters.ImaginePro.Jobs;

/// <summary>
/// What one ImaginePro submission carries for a <see cref="GenerateImage"/> command, checked before anything is paid for:
/// the instruction text and the input image URLs (Universal Imagine: text-to-image, image editing and multi-image remix
/// with Nano Banana models). Every failure here is a 400 naming the client's field.
/// </summary>
public sealed record ImagineProRequest(string Prompt, IReadOnlyList<string> ImageUrls)
{
    /// <summary>ImaginePro answers one image per submission; n images = n submissions (the catalog's max_images).</summary>
    public const int MaxImages = 4;

    public static readonly IReadOnlyList<string> Operations = ["text-to-image", "image-to-image", "multi-image-remix"];

    public static ImagineProRequest From(GenerateImage command, InputImageUrls urls)
    {
        if (!Operations.Contains(command.Operation))
        {
            throw ApiException.BadField("operation",
                $"Operation '{command.Operation}' is not supported by provider 'imaginepro'; use one of {string.Join(", ", Operations)}.");
        }

        if (string.IsNullOrWhiteSpace(command.Prompt))
        {
            throw ApiException.Missing("prompt");
        }

        if (command.NumImages is < 1 or > MaxImages)
        {
            throw ApiException.BadField("num_images", $"'num_images' must be between 1 and {MaxImages} for provider 'imaginepro'.");
        }

        var inputs = command.Inputs ?? [];
        var imageUrls = new List<string>(inputs.Count);
        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].IsMask)
            {
                throw ApiException.BadField($"contents[{i}].mask", "Provider 'imaginepro' does not take masks: describe the change in the text instead.");
            }

            imageUrls.Add(urls.For(inputs[i], $"contents[{i}].image"));
        }

        if (command.Operation != "text-to-image" && imageUrls.Count == 0)
        {
            throw ApiException.BadField("contents", $"Operation '{command.Operation}' needs at least one input image.");
        }

        return new ImagineProRequest(command.Prompt, imageUrls);
    }
}

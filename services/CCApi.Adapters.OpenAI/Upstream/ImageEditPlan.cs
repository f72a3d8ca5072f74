using System.Globalization;
using System.Net.Http.Headers;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using CCApi.Storage;

namespace CCApi.Adapters.OpenAI.Upstream;

/// <summary>
/// An image-to-image, inpainting or multi-image command as OpenAI's <c>POST /images/edits</c> (multipart/form-data:
/// <c>image</c> — or <c>image[]</c> for several —, optional <c>mask</c>, <c>prompt</c>, <c>model</c>, <c>n</c>,
/// <c>size</c>, and <c>response_format</c> for dall-e-2 only). Everything the model cannot take is a 400 naming the field,
/// before any upstream call: dall-e-2 edits one square PNG (under 4 MB) at 256/512/1024; gpt-image models take up to 16
/// PNG/JPEG/WebP images (under 50 MB each) at 1024x1024, 1536x1024 or 1024x1536; a mask is a PNG of the first image's
/// size whose fully transparent pixels mark what to edit. A variation (operation "variation") is OpenAI's
/// <c>POST /images/variations</c>, dall-e-2 only: the same form without prompt, mask or quality.
/// </summary>
public sealed record ImageEditPlan
{
    public const int DallE2MaxBytes = 4 * 1024 * 1024;
    public const int GptImageMaxBytes = 50 * 1024 * 1024;
    public const int GptImageMaxImages = 16;

    public required string Model { get; init; }
    public required bool IsDallE2 { get; init; }

    /// <summary>New images like the one input image, without a prompt (dall-e-2's <c>/images/variations</c>).</summary>
    public bool IsVariation { get; init; }

    /// <summary>The upstream path, relative to the base URL.</summary>
    public string Path => IsVariation ? "images/variations" : "images/edits";
    public required string Prompt { get; init; }
    public required IReadOnlyList<ImageInput> Images { get; init; }
    public ImageInput? Mask { get; init; }
    public required int N { get; init; }
    public required string Size { get; init; }
    public string? Quality { get; init; }

    /// <summary>gpt-image's output options the command sets (<see cref="OpenAIClient.GptImageOptions"/>; none for dall-e-2).</summary>
    public IReadOnlyList<(string Field, object Value)> OutputOptions { get; init; } = [];

    /// <summary>Partial images to stream (<see cref="OpenAIClient.StreamedPartials"/>): gpt-image edits only; 0 = none.</summary>
    public int PartialImages { get; init; }

    /// <summary>True when the command is an edit (it has input images), not a text-to-image generation.</summary>
    public static bool IsEdit(GenerateImage command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command.Inputs is { Count: > 0 } || command.Operation != "text-to-image";
    }

    public static ImageEditPlan For(GenerateImage command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var model = command.Route.ProviderModel;
        var family = OpenAIClient.ImageFamilyOf(model);
        var dallE2 = family == OpenAIClient.ImageFamily.DallE2;
        var variation = command.Operation == "variation";
        if (variation && !dallE2)
        {
            throw ApiException.BadField("model", $"The model '{command.Route.Model}' does not make variations; OpenAI makes them with dall-e-2.");
        }

        if (!dallE2 && family != OpenAIClient.ImageFamily.GptImage)
        {
            throw ApiException.BadField("model", $"The model '{command.Route.Model}' cannot edit images; use a gpt-image or dall-e-2 model.");
        }

        var images = command.Inputs?.Where(i => !i.IsMask).ToList() ?? [];
        var masks = command.Inputs?.Where(i => i.IsMask).ToList() ?? [];
        if (images.Count == 0)
        {
            throw ApiException.BadField("image", $"{command.Operation} needs an input image ('image', or an image in 'contents').", ErrorCodes.MissingField);
        }

        if (dallE2 && images.Count > 1)
        {
            throw ApiException.BadField(images[1].Field ?? "contents", $"dall-e-2 edits exactly one image; got {images.Count}.");
        }

        if (images.Count > GptImageMaxImages)
        {
            throw ApiException.BadField(images[^1].Field ?? "contents", $"At most {GptImageMaxImages} images can be edited together; got {images.Count}.");
        }

        if (variation && masks.Count > 0)
        {
            throw ApiException.BadField(masks[0].Field ?? "contents", "A variation takes no mask.");
        }

        if (masks.Count > 1)
        {
            throw ApiException.BadField(masks[1].Field ?? "contents", "Only one mask can be given (it applies to the first image).");
        }

        var prompt = command.Prompt?.Trim() ?? "";
        if (prompt.Length == 0 && !variation)
        {
            throw ApiException.Missing("prompt");
        }

        var maxPrompt = dallE2 ? 1000 : 32000;
        if (prompt.Length > maxPrompt)
        {
            throw ApiException.BadField("prompt", $"'prompt' must be at most {maxPrompt} characters for {model}; it has {prompt.Length}.");
        }

        if (command.NumImages is < 1 or > 10)
        {
            throw ApiException.BadField("n", $"'n' must be between 1 and 10; got {command.NumImages}.");
        }

        var size = OpenAIClient.UpstreamSize(command);

        var quality = OpenAIClient.UpstreamQuality(model, command.Quality);
        if (dallE2)
        {
            OpenAIClient.RefuseGptImageOptions(command);
        }

        return new ImageEditPlan
        {
            Model = model,
            IsDallE2 = dallE2,
            IsVariation = variation,
            Prompt = prompt,
            Images = images,
            Mask = masks.FirstOrDefault(),
            N = command.NumImages,
            Size = size,
            Quality = quality,
            OutputOptions = OpenAIClient.GptImageOptions(command),
            PartialImages = OpenAIClient.StreamedPartials(command), // gpt-image only: never a (dall-e-2) variation
        };
    }

    /// <summary>Checks the loaded bytes against what the model takes (400 naming the field); the mask against the first image.</summary>
    public void CheckLoaded(IReadOnlyList<LoadedImage> images, LoadedImage? mask)
    {
        ArgumentNullException.ThrowIfNull(images);
        var does = IsVariation ? "makes variations of" : "edits";
        for (var i = 0; i < images.Count; i++)
        {
            var field = Images[i].Field ?? "contents";
            var image = images[i];
            if (IsDallE2)
            {
                if (image.ContentType != "image/png")
                {
                    throw ApiException.BadField(field, $"dall-e-2 {does} PNG images only; '{field}' is {image.ContentType}.");
                }

                if (image.Bytes.Length >= DallE2MaxBytes)
                {
                    throw ApiException.BadField(field, $"dall-e-2 {does} images under 4 MB; '{field}' has {image.Bytes.Length} bytes.");
                }

                if (ImageBytes.PngSize(image.Bytes) is { } dims && dims.Width != dims.Height)
                {
                    throw ApiException.BadField(field, $"dall-e-2 {does} square images; '{field}' is {dims.Width}x{dims.Height}.");
                }
            }
            else if (image.ContentType is not ("image/png" or "image/jpeg" or "image/webp"))
            {
                throw ApiException.BadField(field, $"{Model} edits PNG, JPEG or WebP images; '{field}' is {image.ContentType}.");
            }
            else if (image.Bytes.Length >= GptImageMaxBytes)
            {
                throw ApiException.BadField(field, $"{Model} edits images under 50 MB; '{field}' has {image.Bytes.Length} bytes.");
            }
        }

        if (mask is null)
        {
            return;
        }

        var maskField = Mask?.Field ?? "contents";
        if (mask.ContentType != "image/png")
        {
            throw ApiException.BadField(maskField, $"The mask must be a PNG (its transparent pixels mark what to edit); '{maskField}' is {mask.ContentType}.");
        }

        if (mask.Bytes.Length >= DallE2MaxBytes)
        {
            throw ApiException.BadField(maskField, $"The mask must be under 4 MB; '{maskField}' has {mask.Bytes.Length} bytes.");
        }

        if (ImageBytes.PngSize(mask.Bytes) is { } m && ImageBytes.PngSize(images[0].Bytes) is { } first && m != first)
        {
            throw ApiException.BadField(maskField,
                $"The mask must have the same dimensions as the image ({first.Width}x{first.Height}); '{maskField}' is {m.Width}x{m.Height}.");
        }
    }

    /// <summary>The multipart/form-data body (built anew for every attempt); <paramref name="streamed"/> asks for <see cref="PartialImages"/>.</summary>
    public MultipartFormDataContent Form(IReadOnlyList<LoadedImage> images, LoadedImage? mask, bool streamed = false)
    {
        ArgumentNullException.ThrowIfNull(images);
        var form = new MultipartFormDataContent();
        var imageField = images.Count == 1 ? "image" : "image[]";
        for (var i = 0; i < images.Count; i++)
        {
            form.Add(File(images[i]), imageField, $"image{i}.{Extension(images[i].ContentType)}");
        }

        if (mask is not null)
        {
            form.Add(File(mask), "mask", "mask.png");
        }

        if (!IsVariation)
        {
            form.Add(new StringContent(Prompt), "prompt");
        }

        form.Add(new StringContent(Model), "model");
        form.Add(new StringContent(N.ToString(CultureInfo.InvariantCulture)), "n");
        form.Add(new StringContent(Size), "size");
        if (Quality is { } quality && !IsVariation)
        {
            form.Add(new StringContent(quality), "quality");
        }

        foreach (var (field, value) in OutputOptions)
        {
            form.Add(new StringContent(Convert.ToString(value, CultureInfo.InvariantCulture)!), field);
        }

        if (streamed && PartialImages > 0)
        {
            form.Add(new StringContent("true"), "stream");
            form.Add(new StringContent(PartialImages.ToString(CultureInfo.InvariantCulture)), "partial_images");
        }

        if (IsDallE2)
        {
            form.Add(new StringContent("b64_json"), "response_format"); // gpt-image models always answer b64_json and reject the field
        }

        return form;

        static ByteArrayContent File(LoadedImage image)
        {
            var content = new ByteArrayContent(image.Bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue(image.ContentType);
            return content;
        }
    }

    private static string Extension(string contentType) => contentType switch
    {
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        _ => "png",
    };
}

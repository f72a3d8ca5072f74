using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.ServiceDefaults;

namespace CCApi.Adapters.StabilityAI.Upstream;

/// <summary>One entry of Stability's text_prompts: a negative weight steers the image away from the text.</summary>
public sealed record TextPrompt(string Text, double Weight);

/// <summary>
/// A <see cref="GenerateImage"/> command as a Stability v1 generation request, validated before any call: everything
/// the engine cannot do is a 400 naming the CCAPI field. <see cref="For"/> does the mapping; <see cref="JsonBody"/>
/// (text-to-image) and <see cref="Form"/> (image-to-image, masking) write the two wire shapes.
/// </summary>
public sealed record GenerationPlan
{
    public const string TextToImage = "text-to-image";
    public const string ImageToImage = "image-to-image";

    /// <summary>Inpainting: POST …/image-to-image/masking with the init image and a mask image.</summary>
    public const string Masking = "image-to-image/masking";

    /// <summary>
    /// How Stability reads the mask: white pixels are repainted, black ones kept (the convention of most inpainting
    /// tools; OpenAI's models instead repaint where the mask is transparent).
    /// </summary>
    public const string MaskSource = "MASK_IMAGE_WHITE";

    /// <summary>The field an input-image problem is reported on (the image comes from the request's contents).</summary>
    public const string InputField = "contents";

    /// <summary>The image types sent to Stability as init_image.</summary>
    public static readonly IReadOnlyList<string> InitImageTypes = ["image/png", "image/jpeg", "image/webp"];

    public required string Engine { get; init; }

    /// <summary><see cref="TextToImage"/>, <see cref="ImageToImage"/> or <see cref="Masking"/> (also the end of the path).</summary>
    public required string Operation { get; init; }

    public required IReadOnlyList<TextPrompt> Prompts { get; init; }

    public required int Samples { get; init; }

    /// <summary>Text-to-image only (image-to-image keeps the init image's size).</summary>
    public int? Width { get; init; }

    public int? Height { get; init; }

    public long? Seed { get; init; }

    public int? Steps { get; init; }

    public double? CfgScale { get; init; }

    public string? StylePreset { get; init; }

    /// <summary>Image-to-image: how much of the init image to KEEP (Stability's image_strength) = 1 − CCAPI strength.</summary>
    public double? ImageStrength { get; init; }

    /// <summary>Image-to-image and masking: the one input image.</summary>
    public ImageInput? InitImage { get; init; }

    /// <summary>Masking: the mask (white = repaint, see <see cref="MaskSource"/>), the init image's size.</summary>
    public ImageInput? MaskImage { get; init; }

    /// <summary>Relative to the base URL: v1/generation/{engine_id}/{operation}.</summary>
    public string Path => $"v1/generation/{Uri.EscapeDataString(Engine)}/{Operation}";

    public static GenerationPlan For(GenerateImage command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var engine = command.Route.ProviderModel;
        var operation = command.Operation switch
        {
            TextToImage => TextToImage,
            ImageToImage => ImageToImage,
            "inpainting" => Masking,
            "multi-image-remix" => throw ApiException.BadField(InputField,
                $"'{command.Route.Model}' cannot do {command.Operation}: send one image (image-to-image), one image with a mask (inpainting) or text only (text-to-image)."),
            _ => throw ApiException.BadField("operation", $"Operation '{command.Operation}' is not supported; use text-to-image, image-to-image or inpainting."),
        };

        var prompt = command.Prompt?.Trim();
        if (string.IsNullOrEmpty(prompt))
        {
            throw ApiException.Missing("prompt");
        }

        if (prompt.Length > StabilityEngines.MaxPromptLength)
        {
            throw ApiException.BadField("prompt", $"'prompt' must be at most {StabilityEngines.MaxPromptLength} characters for this provider; it has {prompt.Length}.");
        }

        var prompts = new List<TextPrompt> { new(prompt, 1) };
        if (command.NegativePrompt?.Trim() is { Length: > 0 } negative)
        {
            if (negative.Length > StabilityEngines.MaxPromptLength)
            {
                throw ApiException.BadField("parameters.negative_prompt",
                    $"'parameters.negative_prompt' must be at most {StabilityEngines.MaxPromptLength} characters for this provider; it has {negative.Length}.");
            }

            prompts.Add(new TextPrompt(negative, -1));
        }

        if (command.NumImages is < 1 or > StabilityEngines.MaxSamples)
        {
            throw ApiException.BadField("n", $"'n' (parameters.num_images) must be between 1 and {StabilityEngines.MaxSamples}; got {command.NumImages}.");
        }

        if (command.Seed is < 0 or > StabilityEngines.MaxSeed)
        {
            throw ApiException.BadField("parameters.seed", $"'parameters.seed' must be between 0 and {StabilityEngines.MaxSeed} (0 = random); got {command.Seed}.");
        }

        if (command.Steps is < StabilityEngines.MinSteps or > StabilityEngines.MaxSteps)
        {
            throw ApiException.BadField("parameters.steps",
                $"'parameters.steps' must be between {StabilityEngines.MinSteps} and {StabilityEngines.MaxSteps} for this provider; got {command.Steps}.");
        }

        if (command.GuidanceScale is { } cfg && (double.IsNaN(cfg) || cfg < 0 || cfg > StabilityEngines.MaxCfgScale))
        {
            throw ApiException.BadField("parameters.guidance_scale",
                $"'parameters.guidance_scale' must be between 0 and {StabilityEngines.MaxCfgScale} for this provider; got {cfg.ToString(CultureInfo.InvariantCulture)}.");
        }

        // Style: Stability's presets map 1:1; anything else (e.g. OpenAI's "vivid"/"natural") is not a Stability concept and is ignored.
        var style = command.Style?.Trim().ToLowerInvariant() is { } s && StabilityEngines.StylePresets.Contains(s) ? s : null;

        var plan = new GenerationPlan
        {
            Engine = engine,
            Operation = operation,
            Prompts = prompts,
            Samples = command.NumImages,
            Seed = command.Seed,
            Steps = command.Steps,
            CfgScale = command.GuidanceScale,
            StylePreset = style,
        };

        return operation == TextToImage ? WithSize(plan, command) : WithInitImage(plan, command);
    }

    private static GenerationPlan WithSize(GenerationPlan plan, GenerateImage command)
    {
        var (width, height) = (command.Width, command.Height);
        if (StabilityEngines.SizeProblem(plan.Engine, width, height) is { } problem)
        {
            if (StabilityEngines.IsSdxl1024(plan.Engine) && StabilityEngines.SdxlSizeForAspectRatio(command.AspectRatio, width, height) is { } snapped)
            {
                (width, height) = snapped;
            }
            else
            {
                throw ApiException.BadField("size", $"The size {width}x{height} ('size', or parameters.width/height) is not one this model can generate: {problem}");
            }
        }

        return plan with { Width = width, Height = height };
    }

    private static GenerationPlan WithInitImage(GenerationPlan plan, GenerateImage command)
    {
        var images = command.Inputs?.Where(i => !i.IsMask).ToList() ?? [];
        var masks = command.Inputs?.Where(i => i.IsMask).ToList() ?? [];
        if (plan.Operation == ImageToImage && masks.Count > 0)
        {
            throw ApiException.BadField(masks[0].Field ?? InputField, "image-to-image takes no mask; a mask makes it inpainting.");
        }

        if (images.Count != 1)
        {
            throw ApiException.BadField(images.Count > 1 ? images[1].Field ?? InputField : InputField,
                $"{command.Operation} needs exactly one input image; got {images.Count}.");
        }

        if (plan.Operation == Masking)
        {
            if (masks.Count != 1)
            {
                throw ApiException.BadField(masks.Count > 1 ? masks[1].Field ?? InputField : "mask",
                    $"inpainting needs exactly one mask; got {masks.Count}.", masks.Count == 0 ? ErrorCodes.MissingField : ErrorCodes.InvalidRequest);
            }

            // Masking has no image_strength: the masked area is repainted, the rest kept.
            return plan with { InitImage = images[0], MaskImage = masks[0] };
        }

        if (command.Strength is { } strength && (double.IsNaN(strength) || strength < 0 || strength > 1))
        {
            throw ApiException.BadField("parameters.strength", $"'parameters.strength' must be between 0 and 1; got {strength.ToString(CultureInfo.InvariantCulture)}.");
        }

        // CCAPI strength = how far to move AWAY from the input (0 keeps it, 1 ignores it), as in diffusers and the local
        // adapter; Stability's image_strength = how much of the init image to KEEP. Unset: Stability's default (0.35).
        return plan with
        {
            InitImage = images[0],
            ImageStrength = command.Strength is { } st ? Math.Round(1 - st, 4) : null,
        };
    }

    /// <summary>The JSON body of POST …/text-to-image.</summary>
    public byte[] JsonBody()
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("text_prompts");
            foreach (var prompt in Prompts)
            {
                json.WriteStartObject();
                json.WriteString("text", prompt.Text);
                json.WriteNumber("weight", prompt.Weight);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteNumber("samples", Samples);
            if (Width is { } width && Height is { } height)
            {
                json.WriteNumber("width", width);
                json.WriteNumber("height", height);
            }

            if (Seed is { } seed)
            {
                json.WriteNumber("seed", seed);
            }

            if (Steps is { } steps)
            {
                json.WriteNumber("steps", steps);
            }

            if (CfgScale is { } cfg)
            {
                json.WriteNumber("cfg_scale", cfg);
            }

            if (StylePreset is { } style)
            {
                json.WriteString("style_preset", style);
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The multipart/form-data body of POST …/image-to-image or …/masking (built anew for every attempt).</summary>
    public MultipartFormDataContent Form(LoadedImage initImage, LoadedImage? maskImage = null)
    {
        ArgumentNullException.ThrowIfNull(initImage);
        var form = new MultipartFormDataContent();
        var image = new ByteArrayContent(initImage.Bytes);
        image.Headers.ContentType = new MediaTypeHeaderValue(initImage.ContentType);
        form.Add(image, "init_image", "init_image." + initImage.ContentType["image/".Length..]);
        if (Operation == Masking)
        {
            ArgumentNullException.ThrowIfNull(maskImage);
            var mask = new ByteArrayContent(maskImage.Bytes);
            mask.Headers.ContentType = new MediaTypeHeaderValue(maskImage.ContentType);
            form.Add(new StringContent(MaskSource), "mask_source");
            form.Add(mask, "mask_image", "mask_image." + maskImage.ContentType["image/".Length..]);
        }
        else
        {
            form.Add(new StringContent("IMAGE_STRENGTH"), "init_image_mode");
            if (ImageStrength is { } strength)
            {
                form.Add(new StringContent(Number(strength)), "image_strength");
            }
        }

        for (var i = 0; i < Prompts.Count; i++)
        {
            form.Add(new StringContent(Prompts[i].Text), $"text_prompts[{i}][text]");
            form.Add(new StringContent(Number(Prompts[i].Weight)), $"text_prompts[{i}][weight]");
        }

        form.Add(new StringContent(Number(Samples)), "samples");
        if (Seed is { } seed)
        {
            form.Add(new StringContent(Number(seed)), "seed");
        }

        if (Steps is { } steps)
        {
            form.Add(new StringContent(Number(steps)), "steps");
        }

        if (CfgScale is { } cfg)
        {
            form.Add(new StringContent(Number(cfg)), "cfg_scale");
        }

        if (StylePreset is { } style)
        {
            form.Add(new StringContent(style), "style_preset");
        }

        return form;
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

using System.Globalization;
using System.Text;
using static CCApi.Gateway.Api.Validation;

namespace CCApi.Gateway.Api;

/// <summary>
/// An input image after validation: a URL for the adapter to fetch, or decoded bytes to store; <c>Field</c> the request
/// field it came from (<c>contents[1].image</c>), which the adapter's 400s name.
/// </summary>
public sealed record PendingImage(string? Url, byte[]? Bytes, string? MimeType, bool IsMask, string? Field = null);

/// <summary>The gpt-image output options a request carries to its model (null: the provider's default).</summary>
public sealed record ImageOutputOptions(string? OutputFormat, int? OutputCompression, string? Background, string? Moderation, int PartialImages = 0)
{
    public static readonly ImageOutputOptions None = new(null, null, null, null);

    public GenerateImage ApplyTo(GenerateImage command) =>
        command with { OutputFormat = OutputFormat, OutputCompression = OutputCompression, Background = Background, Moderation = Moderation, PartialImages = PartialImages };
}

/// <summary>A validated POST /v1/images/generate request (the model is resolved separately).</summary>
public sealed record ImagePlan
{
    public required string Operation { get; init; }
    public required string Prompt { get; init; }
    public required IReadOnlyList<PendingImage> Inputs { get; init; }
    public required int NumImages { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    public string? AspectRatio { get; init; }
    public string? Quality { get; init; }
    public long? Seed { get; init; }
    public int? Steps { get; init; }
    public double? GuidanceScale { get; init; }
    public string? NegativePrompt { get; init; }
    public double? Strength { get; init; }
    public required string ResponseFormat { get; init; }
    public string? WebhookUrl { get; init; }

    /// <summary>gpt-image's output options for a model that offers them (<see cref="ImageRequestValidator.OutputOptions"/>).</summary>
    public ImageOutputOptions Output { get; init; } = ImageOutputOptions.None;
}

/// <summary>Validation and derivations of the two image endpoints (spec 2.3, 2.4, 3.12–3.14).</summary>
public static class ImageRequestValidator
{
    public const int DefaultSize = 1024;
    public const int MinSize = 64;
    public const int MaxImagesDefault = 10;

    public static readonly string[] AspectRatios = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"];
    public static readonly string[] ResponseFormats = [.. ModelCapabilities.AllImageResponseFormats];

    /// <summary>
    /// Image qualities on every route: CCAPI's and dall-e's <c>standard</c>/<c>hd</c> and gpt-image's tiers. Each adapter
    /// gives its model the nearest one it takes (the OpenAI adapter: <c>OpenAIClient.UpstreamQuality</c>); a model's
    /// catalog may narrow them (<see cref="SupportedQuality"/>).
    /// </summary>
    public static readonly string[] Qualities = [.. ModelCapabilities.AllImageQualities];

    /// <summary>
    /// OpenAI's gpt-image output options (on /v1/images/generations and /v1/images/edits, and in /v1/images/generate's
    /// <c>parameters</c>: <paramref name="prefix"/> "parameters."), checked against the model: an
    /// option its catalog <c>capabilities.image_options</c> list is carried to the provider; for any other, a value that
    /// changes nothing (the default) passes and another is 400 <c>unsupported_parameter</c> naming the field, never a
    /// silently different image (PNG, opaque, default moderation). <c>partial_images</c> (0-3) needs <paramref name="stream"/>;
    /// it goes to the provider when the model lists <c>partial_images</c> (else no partial image comes, as OpenAI allows:
    /// see <see cref="ImageStreams"/>). Invalid values are 400 as OpenAI answers them.
    /// </summary>
    public static ImageOutputOptions OutputOptions(
        ModelEntry model, string? outputFormat, long? outputCompression, string? background, string? moderation, long? partialImages, string prefix = "", bool stream = false)
    {
        var offered = model.Capabilities.ImageOptions ?? [];
        bool Offers(string option) => offered.Contains(option);
        ApiException NotOffered(string field, string what) =>
            ApiException.BadField(field, $"The model '{model.Id}' does not offer {what}; send the request without '{field}', or to a model whose capabilities.image_options list it.",
                ErrorCodes.UnsupportedParameter);

        OneOf(outputFormat, prefix + "output_format", "png", "jpeg", "webp");
        if (outputFormat is "jpeg" or "webp" && !Offers("output_format"))
        {
            throw NotOffered(prefix + "output_format", $"{outputFormat} output (it returns PNG)");
        }

        Range(outputCompression, 0, 100, prefix + "output_compression");
        if (outputCompression is not null and not 100 && !Offers("output_compression"))
        {
            throw NotOffered(prefix + "output_compression", "compressed output");
        }

        OneOf(background, prefix + "background", "transparent", "opaque", "auto");
        if (background == "transparent" && !Offers("background"))
        {
            throw NotOffered(prefix + "background", "transparent backgrounds");
        }

        OneOf(moderation, prefix + "moderation", "low", "auto");
        if (moderation == "low" && !Offers("moderation"))
        {
            throw NotOffered(prefix + "moderation", "'moderation' low");
        }

        Range(partialImages, 0, 3, prefix + "partial_images");
        if (partialImages > 0 && !stream)
        {
            throw ApiException.BadField(prefix + "partial_images", "Partial images come with a streamed response; send 'stream' true, or 'partial_images' 0 (or none).",
                ErrorCodes.UnsupportedParameter);
        }

        return new ImageOutputOptions(
            Offers("output_format") ? outputFormat : null,
            Offers("output_compression") ? (int?)outputCompression : null,
            Offers("background") ? background : null,
            Offers("moderation") ? moderation : null,
            stream && Offers("partial_images") ? (int)(partialImages ?? 0) : 0);
    }

    /// <summary>A streamed response carries its images in base64: <c>response_format</c> url is a 400 with <c>stream</c>.</summary>
    public static void StreamedFormat(bool stream, string? responseFormat)
    {
        if (stream && responseFormat == "url")
        {
            throw ApiException.BadField("response_format", "A streamed response carries its images as b64_json; send response_format b64_json (or none) with 'stream'.");
        }
    }

    /// <summary>text only → text-to-image; any mask → inpainting; two or more images → multi-image-remix; else image-to-image.</summary>
    public static string DeriveOperation(int images, bool anyMask) =>
        anyMask ? "inpainting" : images >= 2 ? "multi-image-remix" : images == 1 ? "image-to-image" : "text-to-image";

    /// <summary>
    /// A size the model makes, when its catalog <c>capabilities.image_sizes</c> lists them (unset: any size): another is a
    /// 400 naming <paramref name="field"/> that lists the model's sizes, before the reservation and the dispatch — and
    /// while its provider is down, so a client does not retry a 503 for a request that cannot succeed.
    /// </summary>
    public static void SupportedSize(ModelEntry model, (int Width, int Height) size, string field)
    {
        var described = string.Create(CultureInfo.InvariantCulture, $"{size.Width}x{size.Height}");
        if (model.Capabilities.ImageSizes is { } sizes && !sizes.Contains(described))
        {
            throw ApiException.BadField(field, $"The model '{model.Id}' makes only these sizes: {string.Join(", ", sizes)}; got {described}.");
        }
    }

    /// <summary>
    /// A <c>quality</c> the model can honour, when its catalog <c>capabilities.image_qualities</c> lists them (unset: any):
    /// another is a 400 naming <paramref name="field"/> that lists them, before the reservation and the dispatch.
    /// </summary>
    public static void SupportedQuality(ModelEntry model, string? quality, string field)
    {
        if (quality is null || model.Capabilities.ImageQualities is not { } qualities || qualities.Contains(quality))
        {
            return;
        }

        throw ApiException.BadField(field, $"The model '{model.Id}' cannot make '{Truncate(quality)}' images; its '{field}' is one of {string.Join(", ", qualities)}.",
            ErrorCodes.UnsupportedParameter);
    }

    /// <summary>A <c>style</c> the model takes, when its catalog <c>capabilities.image_styles</c> lists them (unset: any; empty: none).</summary>
    public static void SupportedStyle(ModelEntry model, string? style, string field)
    {
        if (style is null || model.Capabilities.ImageStyles is not { } styles || styles.Contains(style))
        {
            return;
        }

        throw styles.Count == 0
            ? ApiException.BadField(field, $"The model '{model.Id}' takes no '{field}'; send the request without it.", ErrorCodes.UnsupportedParameter)
            : ApiException.BadField(field, $"The model '{model.Id}' takes '{field}' {string.Join(" or ", styles)}; got '{Truncate(style)}'.");
    }

    /// <summary>"WxH" (or OpenAI's "auto" = 1024x1024), each side 64..<paramref name="maxSize"/>.</summary>
    public static (int Width, int Height) ParseSize(string? size, int maxSize, string field)
    {
        if (size is null || size == "auto")
        {
            return (Math.Min(DefaultSize, maxSize), Math.Min(DefaultSize, maxSize));
        }

        var x = size.IndexOf('x', StringComparison.Ordinal);
        if (x <= 0
            || !int.TryParse(size.AsSpan(0, x), NumberStyles.None, CultureInfo.InvariantCulture, out var width)
            || !int.TryParse(size.AsSpan(x + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var height))
        {
            throw ApiException.BadField(field, $"'{field}' must be WIDTHxHEIGHT (e.g. 1024x1024) or auto; got '{Truncate(size)}'.");
        }

        if (width < MinSize || width > maxSize || height < MinSize || height > maxSize)
        {
            throw ApiException.BadField(field, $"'{field}' sides must be between {MinSize} and {maxSize} pixels; got {width}x{height}.");
        }

        return (width, height);
    }

    /// <summary>Dimensions for an aspect ratio with the long side 1024, rounded to multiples of 8.</summary>
    public static (int Width, int Height) FromAspectRatio(string ratio)
    {
        var colon = ratio.IndexOf(':', StringComparison.Ordinal);
        var w = double.Parse(ratio.AsSpan(0, colon), CultureInfo.InvariantCulture);
        var h = double.Parse(ratio.AsSpan(colon + 1), CultureInfo.InvariantCulture);
        return w >= h
            ? (DefaultSize, RoundTo8(DefaultSize * h / w))
            : (RoundTo8(DefaultSize * w / h), DefaultSize);
    }

    public static ImagePlan Validate(ImageGenerateRequestBody body, ModelEntry model, GatewayOptions limits)
    {
        var (prompt, inputs) = Contents(body.Contents, limits);
        var operation = DeriveOperation(inputs.Count(i => !i.IsMask), inputs.Any(i => i.IsMask));
        if (model.Operations is { Count: > 0 } operations && !operations.Contains(operation))
        {
            throw ApiException.BadField("contents",
                $"The contents ask for {operation}, which '{model.Id}' does not support (it supports {string.Join(", ", operations)}).");
        }

        var p = body.Parameters ?? new ImageParametersBody();
        var maxImages = Math.Min(MaxImagesDefault, model.Capabilities.MaxImages ?? MaxImagesDefault);
        Range(p.NumImages, 1, maxImages, "parameters.num_images");
        var maxSize = model.MaxImageSize ?? 2048;
        Range(p.Width, MinSize, maxSize, "parameters.width");
        Range(p.Height, MinSize, maxSize, "parameters.height");
        OneOf(p.AspectRatio, "parameters.aspect_ratio", AspectRatios);
        OneOf(p.Quality, "parameters.quality", Qualities);
        SupportedQuality(model, p.Quality, "parameters.quality");
        Range(p.Steps, 1, 150, "parameters.steps");
        Range(p.GuidanceScale, 0, 50, "parameters.guidance_scale");
        Range(p.Strength, 0, 1, "parameters.strength");
        MaxLength(p.NegativePrompt, limits.MaxPromptCharacters, "parameters.negative_prompt");
        OneOf(p.ResponseFormat, "parameters.response_format", ResponseFormats);
        var output = OutputOptions(model, p.OutputFormat, p.OutputCompression, p.Background, p.Moderation, partialImages: null, prefix: "parameters.");
        if (body.WebhookUrl is not null)
        {
            Url(body.WebhookUrl, "webhook_url");
        }

        var (width, height) = Dimensions(p, maxSize);
        if (p.AspectRatio is null) // a shape asked for is the adapter's to fit to the model's sizes
        {
            SupportedSize(model, (width, height), p.Width is null && p.Height is not null ? "parameters.height" : "parameters.width");
        }

        return new ImagePlan
        {
            Operation = operation,
            Prompt = prompt,
            Inputs = inputs,
            NumImages = p.NumImages ?? 1,
            Width = width,
            Height = height,
            AspectRatio = p.AspectRatio,
            Quality = p.Quality,
            Seed = p.Seed,
            Steps = p.Steps,
            GuidanceScale = p.GuidanceScale,
            NegativePrompt = p.NegativePrompt,
            Strength = p.Strength,
            ResponseFormat = p.ResponseFormat ?? "url",
            WebhookUrl = body.WebhookUrl,
            Output = output,
        };
    }

    /// <summary>Explicit width/height win; a missing side follows the aspect ratio (or the given side); default 1024².</summary>
    private static (int Width, int Height) Dimensions(ImageParametersBody p, int maxSize)
    {
        var (ratioW, ratioH) = p.AspectRatio is { } ratio ? FromAspectRatio(ratio) : (DefaultSize, DefaultSize);
        int width, height;
        if (p.Width is { } w && p.Height is { } h)
        {
            (width, height) = (w, h);
        }
        else if (p.Width is { } onlyW)
        {
            (width, height) = (onlyW, RoundTo8((double)onlyW * ratioH / ratioW));
        }
        else if (p.Height is { } onlyH)
        {
            (width, height) = (RoundTo8((double)onlyH * ratioW / ratioH), onlyH);
        }
        else
        {
            (width, height) = (ratioW, ratioH);
        }

        if (width < MinSize || width > maxSize || height < MinSize || height > maxSize)
        {
            // Only reachable when one side was derived: blame the parameter that derived it.
            var field = p.AspectRatio is not null ? "parameters.aspect_ratio" : p.Width is null ? "parameters.width" : "parameters.height";
            throw ApiException.BadField(field, $"'{field}' gives the size {width}x{height}, outside {MinSize}..{maxSize} pixels per side.");
        }

        return (width, height);
    }

    private static (string Prompt, List<PendingImage> Inputs) Contents(List<ContentItemBody?>? contents, GatewayOptions limits)
    {
        if (contents is null)
        {
            throw ApiException.Missing("contents");
        }

        if (contents.Count == 0)
        {
            throw ApiException.BadField("contents", "'contents' must contain at least one item with 'text' or 'image'.");
        }

        if (contents.Count > limits.MaxContents)
        {
            throw ApiException.BadField("contents", $"'contents' holds at most {limits.MaxContents} items.");
        }

        var prompt = new StringBuilder();
        var inputs = new List<PendingImage>();
        for (var i = 0; i < contents.Count; i++)
        {
            var field = $"contents[{i}]";
            var item = contents[i] ?? throw WrongType(field, "an object with 'text' or 'image'");
            if (item.Text is null && item.Image is null)
            {
                throw ApiException.BadField(field, $"'{field}' needs 'text' or 'image'.", ErrorCodes.MissingField);
            }

            if (item.Image is null && string.IsNullOrWhiteSpace(item.Text))
            {
                throw ApiException.BadField($"{field}.text", $"'{field}.text' must not be empty.", ErrorCodes.MissingField);
            }

            if (item.Text is { } text)
            {
                if (prompt.Length > 0)
                {
                    prompt.Append('\n');
                }

                prompt.Append(text);
            }

            if (item.Image is { } image)
            {
                inputs.Add(Source(image, $"{field}.image", isMask: false, limits));
            }

            if (item.Mask is { } mask)
            {
                if (item.Image is null)
                {
                    throw ApiException.BadField($"{field}.mask", $"'{field}.mask' needs an image in the same item ('{field}.image').");
                }

                inputs.Add(Source(mask, $"{field}.mask", isMask: true, limits));
            }
        }

        if (prompt.Length > limits.MaxPromptCharacters)
        {
            throw ApiException.BadField("contents", $"The prompt text in 'contents' is longer than {limits.MaxPromptCharacters} characters.");
        }

        return (prompt.ToString(), inputs);
    }

    private static PendingImage Source(ImageSourceBody source, string field, bool isMask, GatewayOptions limits)
    {
        if (source.Url is not null && source.Data is not null)
        {
            throw ApiException.BadField(field, $"'{field}' takes either 'url' or 'data', not both.");
        }

        if (source.Url is null && source.Data is null)
        {
            throw ApiException.BadField(field, $"'{field}' needs 'url' or 'data'.", ErrorCodes.MissingField);
        }

        var mime = source.MimeType;
        if (mime is not null)
        {
            mime = mime.ToLowerInvariant();
            OneOf(mime, $"{field}.mime_type", MediaTypes.InputImageTypes);
        }

        if (source.Url is { } url)
        {
            Url(url, $"{field}.url");
            return new PendingImage(url, null, mime, isMask, field);
        }

        var data = source.Data!.AsSpan().Trim();
        if (data.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            var comma = data.IndexOf(',');
            var header = comma < 0 ? ReadOnlySpan<char>.Empty : data[5..comma];
            if (comma < 0 || !header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
            {
                throw ApiException.BadField($"{field}.data", $"'{field}.data' must be base64, optionally as a data:<type>;base64, URI.");
            }

            if (mime is null && header.Length > ";base64".Length)
            {
                var declared = header[..^";base64".Length].ToString().ToLowerInvariant();
                OneOf(declared, $"{field}.data", MediaTypes.InputImageTypes);
                mime = declared;
            }

            data = data[(comma + 1)..];
        }

        if (data.IsEmpty)
        {
            throw ApiException.BadField($"{field}.data", $"'{field}.data' must not be empty.");
        }

        var maxEncoded = (limits.MaxInputImageBytes + 2) / 3 * 4;
        if (data.Length > maxEncoded + 4)
        {
            throw ApiException.BadField($"{field}.data", $"'{field}.data' decodes to more than {limits.MaxInputImageBytes} bytes.");
        }

        var bytes = new byte[data.Length * 3 / 4 + 3];
        if (!Convert.TryFromBase64Chars(data, bytes, out var length))
        {
            throw ApiException.BadField($"{field}.data", $"'{field}.data' is not valid base64.");
        }

        if (length > limits.MaxInputImageBytes)
        {
            throw ApiException.BadField($"{field}.data", $"'{field}.data' decodes to more than {limits.MaxInputImageBytes} bytes.");
        }

        var decoded = bytes.AsSpan(0, length).ToArray();
        var sniffed = ImageBytes.Sniff(decoded)
            ?? throw ApiException.BadField($"{field}.data", $"'{field}.data' is not a PNG, JPEG, WebP or GIF image.");
        return new PendingImage(null, decoded, mime ?? sniffed, isMask, field);
    }

    private static int RoundTo8(double value) => Math.Max(8, (int)Math.Round(value / 8, MidpointRounding.AwayFromZero) * 8);
}

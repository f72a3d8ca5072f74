using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using static CCApi.Gateway.Api.Validation;

namespace CCApi.Gateway.Endpoints;

/// <summary>
/// POST /v1/images/edits: OpenAI-compatible image edits (multipart/form-data, so the SDKs' <c>images.edit</c> works):
/// <c>image</c> (or several <c>image[]</c>), optional <c>mask</c> (its fully transparent pixels mark what to change),
/// <c>prompt</c>, <c>model</c>, <c>n</c>, <c>size</c>, <c>response_format</c>, <c>quality</c>. The same job as an
/// <c>/images/generate</c> request whose contents carry the images (and mask): image-to-image, inpainting or
/// multi-image-remix, checked against the model's catalog operations before any provider call. The uploads go to the
/// blob store; the command carries references only. Synchronous models only (like /images/generations).
/// POST /v1/images/variations, OpenAI's variations (the SDKs' <c>images.createVariation</c>): one <c>image</c>, no
/// prompt, for a model whose catalog operations list <c>variation</c> (openai/dall-e-2, local/pixel-1).
/// </summary>
public static class ImageEditEndpoints
{
    private const string Route = "POST /v1/images/edits";
    private const string VariationsRoute = "POST /v1/images/variations";
    private static readonly string[] VariationFields = ["model", "n", "size", "response_format", "user"];
    private static readonly string[] ImageFields = ["image", "image[]"];

    public static IEndpointRouteBuilder MapImageEditEndpoints(this IEndpointRouteBuilder app) =>
        app.MapApiRoutes("Images", group =>
        {
            group.MapPost("/images/edits", CreateImageEdits)
                .WithSummary("Edit images (OpenAI-compatible, multipart)")
                .WithDescription(
                    "multipart/form-data: `image` (file; several as `image[]`), optional `mask` (PNG, the first image's size; " +
                    "fully transparent pixels are edited), `prompt` (required), `model` (required), `n`, `size`, " +
                    "`response_format` (`url` | `b64_json`), `quality`, `stream` (server-sent `image_edit.completed` events). " +
                    "A mask makes it `inpainting`, two or more images " +
                    "`multi-image-remix`, else `image-to-image`; a model whose catalog `operations` lack it answers 400 before " +
                    "any provider call. Synchronous models only.")
                .AddOpenApiOperationTransformer(DescribeForm) // not .Accepts: its routing 415 would answer before the handler's own
                .Produces<ImageGenerationsResponse>(StatusCodes.Status200OK)
                .Produces200Also("text/event-stream") // stream: true
                .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
                .Produces<ErrorResponse>(StatusCodes.Status415UnsupportedMediaType)
                .ProducesModelRouteErrors()
                .DisableAntiforgery();
            group.MapPost("/images/variations", CreateImageVariations)
                .WithSummary("Create variations of an image (OpenAI-compatible, multipart)")
                .WithDescription(
                    "multipart/form-data: `image` (one file), `model` (required; its catalog `operations` must include " +
                    "`variation`), `n`, `size`, `response_format` (`url` | `b64_json`), `user`. No prompt: new images like the " +
                    "one given. Synchronous models only.")
                .AddOpenApiOperationTransformer(DescribeVariationForm)
                .Produces<ImageGenerationsResponse>(StatusCodes.Status200OK)
                .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
                .Produces<ErrorResponse>(StatusCodes.Status415UnsupportedMediaType)
                .ProducesModelRouteErrors()
                .DisableAntiforgery();
        });

    public static async Task<Results<JsonHttpResult<ImageGenerationsResponse>, ServerSentEventsResult<string>>> CreateImageEdits(
        HttpContext http,
        CatalogAccess catalogs,
        ModelRequestPipeline pipeline,
        ProviderDispatcher dispatcher,
        ModelFiles modelFiles,
        IOptions<GatewayOptions> options,
        CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var form = await ReadFormAsync(http.Request, cancellationToken);
        foreach (var file in form.Files)
        {
            if (Array.IndexOf(ImageFields, file.Name) < 0 && file.Name != "mask")
            {
                throw ApiException.BadField(file.Name, $"Unknown file field '{Truncate(file.Name)}'; send 'image' (or 'image[]') and optionally 'mask'.");
            }
        }

        var catalog = await catalogs.GetAsync(cancellationToken);
        var model = ModelResolution.Resolve(catalog, Text(form, "model"), "model", "image", Route);
        if (string.Equals(model.Mode, "async", StringComparison.OrdinalIgnoreCase))
        {
            throw ApiException.BadField("model",
                $"The model '{model.Id}' runs asynchronously; use POST /v1/images/generate with the image (and mask) in 'contents' for it.");
        }

        var stream = Boolean(form, "stream") == true;
        var output = ImageRequestValidator.OutputOptions(
            model, Text(form, "output_format"), Integer(form, "output_compression"), Text(form, "background"), Text(form, "moderation"), Integer(form, "partial_images"),
            stream: stream);
        var prompt = Required(Text(form, "prompt"), "prompt");
        MaxLength(prompt, limits.MaxPromptCharacters, "prompt");

        var files = form.Files.Where(f => Array.IndexOf(ImageFields, f.Name) >= 0).ToList();
        if (files.Count == 0)
        {
            throw ApiException.Missing("image");
        }

        var masks = form.Files.Where(f => f.Name == "mask").ToList();
        if (masks.Count > 1)
        {
            throw ApiException.BadField("mask", "Send at most one 'mask'.");
        }

        var operation = ImageRequestValidator.DeriveOperation(files.Count, masks.Count == 1);
        if (model.Operations is { Count: > 0 } operations && !operations.Contains(operation))
        {
            throw ApiException.BadField(masks.Count == 1 ? "mask" : "model",
                $"The model '{model.Id}' does not support {operation}; it supports {string.Join(", ", operations)}.");
        }

        var maxImages = Math.Min(ImageRequestValidator.MaxImagesDefault, model.Capabilities.MaxImages ?? ImageRequestValidator.MaxImagesDefault);
        var n = Integer(form, "n");
        Range(n, 1, maxImages, "n");
        var (width, height) = ImageRequestValidator.ParseSize(Text(form, "size"), model.MaxImageSize ?? 2048, "size");
        ImageRequestValidator.SupportedSize(model, (width, height), "size");
        var responseFormat = Text(form, "response_format");
        OneOf(responseFormat, "response_format", ImageRequestValidator.ResponseFormats);
        ImageRequestValidator.StreamedFormat(stream, responseFormat);
        var quality = Text(form, "quality");
        OneOf(quality, "quality", ImageRequestValidator.Qualities);
        ImageRequestValidator.SupportedQuality(model, quality, "quality");

        // Every upload is read and checked before admission: bad input never costs a rate-limit slot.
        var uploads = new List<(byte[] Bytes, string ContentType, string Field, bool IsMask)>(files.Count + masks.Count);
        for (var i = 0; i < files.Count; i++)
        {
            var (bytes, type, field) = await ReadImageAsync(files[i], files.Count == 1 ? files[i].Name : $"{files[i].Name}[{i}]", limits, cancellationToken);
            uploads.Add((bytes, type, field, false));
        }

        if (masks.Count == 1)
        {
            var (bytes, type, field) = await ReadImageAsync(masks[0], "mask", limits, cancellationToken);
            uploads.Add((bytes, type, field, true));
        }

        // Everything is validated; the shared pipeline does availability, allow-list, limits and the credit reservation.
        var count = (int)(n ?? 1);
        return await pipeline.RunAsync(http, ImageEndpoints.ImageRequest<int, Results<JsonHttpResult<ImageGenerationsResponse>, ServerSentEventsResult<string>>>(
            Route, model.Id, _ => count, images => (prompt, images),
            async (attempt, images) =>
            {
                var inputs = new List<ImageInput>(uploads.Count);
                foreach (var (bytes, type, field, isMask) in uploads)
                {
                    var blob = await modelFiles.PutAsync(bytes, type, cancellationToken);
                    inputs.Add(new ImageInput { Blob = blob, MimeType = type, IsMask = isMask, Field = field });
                }

                var command = output.ApplyTo(ImageEndpoints.GenerationsCommand(attempt, dispatcher.Now, operation, prompt, inputs, images, width, height, quality));
                return await ImageEndpoints.RequestGenerationsAsync(
                    http.Request, command, attempt.Model.Capabilities.ImageResponseFormatOr(responseFormat), dispatcher, modelFiles, cancellationToken,
                    streamEvents: stream ? ImageStreams.Edit : null);
            }), cancellationToken);
    }

    public static async Task<Results<JsonHttpResult<ImageGenerationsResponse>, ServerSentEventsResult<string>>> CreateImageVariations(
        HttpContext http,
        CatalogAccess catalogs,
        ModelRequestPipeline pipeline,
        ProviderDispatcher dispatcher,
        ModelFiles modelFiles,
        IOptions<GatewayOptions> options,
        CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var form = await ReadFormAsync(http.Request, cancellationToken);
        foreach (var file in form.Files.Where(f => f.Name != "image"))
        {
            throw ApiException.BadField(file.Name, $"Unknown file field '{Truncate(file.Name)}'; a variation takes one 'image'.");
        }

        foreach (var field in form.Keys.Where(k => Array.IndexOf(VariationFields, k) < 0))
        {
            // A prompt (or a mask) would be dropped without a word: variations take neither.
            throw ApiException.BadField(field, $"'{Truncate(field)}' is not a parameter of image variations (they take {string.Join(", ", VariationFields)} and one 'image').",
                ErrorCodes.UnsupportedParameter);
        }

        var catalog = await catalogs.GetAsync(cancellationToken);
        var model = ModelResolution.Resolve(catalog, Text(form, "model"), "model", "image", VariationsRoute);
        if (string.Equals(model.Mode, "async", StringComparison.OrdinalIgnoreCase))
        {
            throw ApiException.BadField("model", $"The model '{model.Id}' runs asynchronously; image variations are for synchronous models.");
        }

        if (model.Operations is { Count: > 0 } operations && !operations.Contains("variation"))
        {
            throw ApiException.BadField("model", $"The model '{model.Id}' does not make variations; it supports {string.Join(", ", operations)}.");
        }

        var files = form.Files.ToList();
        if (files.Count == 0)
        {
            throw ApiException.Missing("image");
        }

        if (files.Count > 1)
        {
            throw ApiException.BadField("image", $"A variation is of one image; got {files.Count}.");
        }

        var n = Integer(form, "n");
        Range(n, 1, Math.Min(ImageRequestValidator.MaxImagesDefault, model.Capabilities.MaxImages ?? ImageRequestValidator.MaxImagesDefault), "n");
        var (width, height) = ImageRequestValidator.ParseSize(Text(form, "size"), model.MaxImageSize ?? 2048, "size");
        ImageRequestValidator.SupportedSize(model, (width, height), "size");
        var responseFormat = Text(form, "response_format");
        OneOf(responseFormat, "response_format", ImageRequestValidator.ResponseFormats);
        var (bytes, contentType, imageField) = await ReadImageAsync(files[0], "image", limits, cancellationToken);

        var count = (int)(n ?? 1);
        return await pipeline.RunAsync(http, ImageEndpoints.ImageRequest<int, Results<JsonHttpResult<ImageGenerationsResponse>, ServerSentEventsResult<string>>>(
            VariationsRoute, model.Id, _ => count, images => ("", images),
            async (attempt, images) =>
            {
                var blob = await modelFiles.PutAsync(bytes, contentType, cancellationToken);
                ImageInput[] inputs = [new() { Blob = blob, MimeType = contentType, Field = imageField }];
                var command = ImageEndpoints.GenerationsCommand(attempt, dispatcher.Now, "variation", "", inputs, images, width, height, quality: null);
                return await ImageEndpoints.RequestGenerationsAsync(
                    http.Request, command, attempt.Model.Capabilities.ImageResponseFormatOr(responseFormat), dispatcher, modelFiles, cancellationToken);
            }), cancellationToken);
    }

    /// <summary>The variations route's multipart request body in the OpenAPI document.</summary>
    private static Task DescribeVariationForm(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["multipart/form-data"] = new()
                {
                    Schema = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Required = new HashSet<string> { "image", "model" },
                        Properties = new Dictionary<string, IOpenApiSchema>
                        {
                            ["image"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", Description = "The image to vary (openai/dall-e-2: a square PNG under 4 MB)." },
                            ["model"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A synchronous image model whose catalog 'operations' include variation." },
                            ["n"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "Number of images (1-10, at most the model's max_images)." },
                            ["size"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "WIDTHxHEIGHT (one of the model's image_sizes) or auto (1024x1024)." },
                            ["response_format"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "url or b64_json (default: the model's capabilities.image_response_format, else url)." },
                            ["user"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "An end-user id (accepted, not used)." },
                        },
                    },
                },
            },
        };
        return Task.CompletedTask;
    }

    /// <summary>The multipart request body in the OpenAPI document.</summary>
    private static Task DescribeForm(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        static OpenApiSchema Text(string description, JsonSchemaType type = JsonSchemaType.String) => new() { Type = type, Description = description };
        static OpenApiSchema File(string description) => new() { Type = JsonSchemaType.String, Format = "binary", Description = description };
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["multipart/form-data"] = new()
                {
                    Schema = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Required = new HashSet<string> { "image", "prompt", "model" },
                        Properties = new Dictionary<string, IOpenApiSchema>
                        {
                            ["image"] = File("The image to edit (PNG, JPEG, WebP or GIF); several as repeated 'image[]' parts."),
                            ["mask"] = File("Optional mask: makes the request inpainting. Its meaning is the provider's (OpenAI: transparent = edit; Stability: white = repaint)."),
                            ["prompt"] = Text("What to change."),
                            ["model"] = Text("A synchronous image model whose catalog 'operations' include the derived operation."),
                            ["n"] = Text("Number of images (1-10, at most the model's max_images).", JsonSchemaType.Integer),
                            ["size"] = Text("WIDTHxHEIGHT or auto (1024x1024)."),
                            ["response_format"] = Text("url or b64_json; without it, the model's capabilities.image_response_format (b64_json for openai/gpt-image-1, as OpenAI answers), else url."),
                            ["quality"] = Text("standard, hd, low, medium, high or auto."),
                            ["output_format"] = Text("png (default), jpeg or webp: the latter two for a model whose capabilities.image_options list output_format."),
                            ["output_compression"] = Text("0-100 for jpeg/webp output (100 default).", JsonSchemaType.Integer),
                            ["background"] = Text("auto, opaque or transparent (the last for a model listing background)."),
                            ["moderation"] = Text("auto or low (the last for a model listing moderation)."),
                            ["stream"] = Text("true: the images come as server-sent events image_edit.completed, in base64.", JsonSchemaType.Boolean),
                            ["partial_images"] = Text("0-3, with stream: partial images sent as the model draws them (image_edit.partial_image), when its capabilities.image_options list partial_images; fewer may come.", JsonSchemaType.Integer),
                        },
                    },
                },
            },
        };
        return Task.CompletedTask;
    }

    private static async Task<IFormCollection> ReadFormAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        Http.JsonBody.RequireIdentityEncoding(request);
        if (!request.HasFormContentType || !(request.ContentType ?? "").StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw new ApiException(415, ErrorTypes.InvalidRequest, ErrorCodes.UnsupportedMediaType,
                $"Content-Type must be multipart/form-data, not '{Truncate(request.ContentType ?? "(none)", 100)}'.");
        }

        try
        {
            return await Http.MultipartForm.ReadAsync(request, cancellationToken); // text fields strictly UTF-8
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's limit for the route (BodyLimits:Routes) reached while streaming: 413 as on every other route.
            throw Http.JsonBody.TooLarge(request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? 0);
        }
        catch (BadHttpRequestException ex)
        {
            throw ApiException.UnreadableBody(ex); // Kestrel's: a bad chunk, a body shorter than its Content-Length, a stall
        }
        catch (InvalidDataException ex)
        {
            throw ApiException.BadField("body", $"The multipart body could not be read: {ex.Message}");
        }
        catch (IOException) when (!cancellationToken.IsCancellationRequested)
        {
            // The reader's own words ("Unexpected end of Stream, the content may have already been read by another
            // component") describe its internals; what the client sent is a body that stops before its last boundary.
            throw ApiException.BadField("body",
                "The multipart body ended before its closing boundary: it is empty or cut short, or its parts do not use the boundary its Content-Type names.");
        }
    }

    private static string? Text(IFormCollection form, string field)
    {
        if (!form.TryGetValue(field, out var values))
        {
            return null;
        }

        if (values.Count > 1)
        {
            throw ApiException.BadField(field, $"'{field}' was sent {values.Count} times; send it once.");
        }

        return values.ToString();
    }

    private static bool? Boolean(IFormCollection form, string field) =>
        Text(form, field) is not { } text ? null
        : bool.TryParse(text, out var value) ? value
        : throw ApiException.BadField(field, $"'{field}' must be true or false; got '{Truncate(text)}'.");

    private static long? Integer(IFormCollection form, string field) =>
        Text(form, field) is not { } text ? null
        : long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value
        : throw ApiException.BadField(field, $"'{field}' must be an integer; got '{Truncate(text)}'.");

    private static async Task<(byte[] Bytes, string ContentType, string Field)> ReadImageAsync(IFormFile file, string field, GatewayOptions limits, CancellationToken cancellationToken)
    {
        if (file.Length == 0)
        {
            throw ApiException.BadField(field, $"'{field}' is empty.");
        }

        if (file.Length > limits.MaxInputImageBytes)
        {
            throw ApiException.BadField(field, $"'{field}' is larger than {limits.MaxInputImageBytes} bytes ({file.Length}).", ErrorCodes.PayloadTooLarge);
        }

        var bytes = new byte[file.Length]; // read once into its own array: the form already holds the part in memory
        await using (var part = file.OpenReadStream())
        {
            await part.ReadExactlyAsync(bytes, cancellationToken);
        }

        var contentType = ImageBytes.Sniff(bytes)
            ?? throw ApiException.BadField(field, $"'{field}' is not a PNG, JPEG, WebP or GIF image.");
        return (bytes, contentType, field);
    }
}

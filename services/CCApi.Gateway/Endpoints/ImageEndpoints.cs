using System.Globalization;
using MassTransit;
using static CCApi.Gateway.Api.Validation;

namespace CCApi.Gateway.Endpoints;

/// <summary>
/// Image generation: POST /v1/images/generations (OpenAI-compatible, synchronous only, spec 2.3) and
/// POST /v1/images/generate (multimodal contents; 200 for sync models, 202 + polling for async ones, spec 2.4).
/// </summary>
public static class ImageEndpoints
{
    private const string GenerationsRoute = "POST /v1/images/generations";
    private const string GenerateRoute = "POST /v1/images/generate";

    public static IEndpointRouteBuilder MapImageEndpoints(this IEndpointRouteBuilder app) =>
        app.MapApiRoutes("Images", group =>
        {
            group.MapPost("/images/generations", CreateImageGenerations).AsModelPost<ImageGenerationsRequestBody, ImageGenerationsResponse>(
                route => route.Produces200Also("text/event-stream")); // stream: true
            group.MapPost("/images/generate", GenerateImages).AsModelPost<ImageGenerateRequestBody, MultimodalImageResponse>(
                route => route.Produces<MultimodalImageResponse>(StatusCodes.Status202Accepted));
        });

    /// <summary>The fields of POST /v1/images/generate a client may send to /v1/images/generations by mistake.</summary>
    private static readonly string[] GenerateOnlyFields = ["webhook_url", "contents", "parameters"];

    /// <summary>
    /// OpenAI's route ignores fields it does not know, as it always has here — but a field of CCAPI's own image route
    /// asks for what this one never does (a webhook, image inputs, its parameters): a 400 naming it, not silence.
    /// </summary>
    public static void RefuseGenerateFields(ImageGenerationsRequestBody body)
    {
        foreach (var field in GenerateOnlyFields)
        {
            if (body.Unknown?.ContainsKey(field) == true)
            {
                throw ApiException.BadField(field,
                    $"'{field}' is a field of POST /v1/images/generate; /v1/images/generations (OpenAI's form) takes prompt, n, size and the other OpenAI fields, answers synchronously and sends no webhook.",
                    ErrorCodes.UnsupportedParameter);
            }
        }
    }

    /// <summary>
    /// The fields of POST /v1/images/generations (OpenAI's form) a client may send to /v1/images/generate by mistake, and
    /// where this route takes what they ask for (null: it does not).
    /// </summary>
    private static readonly (string Field, string? Here)[] GenerationsOnlyFields =
    [
        ("prompt", "contents[].text"), ("n", "parameters.num_images"), ("size", "parameters.width and parameters.height, or parameters.aspect_ratio"),
        ("response_format", "parameters.response_format"), ("quality", "parameters.quality"), ("output_format", "parameters.output_format"),
        ("output_compression", "parameters.output_compression"), ("background", "parameters.background"), ("moderation", "parameters.moderation"),
        ("style", null), ("stream", null), ("partial_images", null),
    ];

    /// <summary>The members <c>parameters</c> takes, as its JSON contract names them.</summary>
    private static readonly string ParameterNames = string.Join(", ",
        GatewayJsonContext.Web.ImageParametersBody.Properties.Where(p => !p.IsExtensionData).Select(p => p.Name));

    /// <summary>
    /// The mirror of <see cref="RefuseGenerateFields"/>: a field of OpenAI's route at the top of this one, or a member
    /// of <c>parameters</c> that spec 3.13 does not define (<c>n</c>, <c>size</c>…), asks for what this route would not
    /// do — a 400 naming it, not a silently different image. Other unknown top-level fields are ignored.
    /// </summary>
    public static void RefuseGenerationsFields(ImageGenerateRequestBody body)
    {
        foreach (var (field, here) in GenerationsOnlyFields)
        {
            if (body.Unknown?.ContainsKey(field) == true)
            {
                throw ApiException.BadField(field,
                    $"'{field}' is a field of POST /v1/images/generations (OpenAI's form); "
                    + (here is null ? "/v1/images/generate does not take it." : $"here it is {here}."),
                    ErrorCodes.UnsupportedParameter);
            }
        }

        if (body.Parameters?.Unknown is { Count: > 0 } unknown)
        {
            var name = unknown.Keys.First();
            var field = "parameters." + Truncate(name);
            var hint = GenerationsOnlyFields.FirstOrDefault(f => f.Field == name).Here is { } here ? $" (for '{Truncate(name)}', use {here})" : "";
            throw ApiException.BadField(field,
                $"'{field}' is not a parameter of /v1/images/generate{hint}; it takes {ParameterNames}.",
                ErrorCodes.UnsupportedParameter);
        }
    }

    /// <summary>A POST /v1/images/generations request checked against its model.</summary>
    public sealed record GenerationsPlan(string Prompt, int Count, int Width, int Height, ImageOutputOptions Output, bool Stream);

    /// <summary>The checks of POST /v1/images/generations that need its model (400 naming the field).</summary>
    public static GenerationsPlan ValidateGenerations(ImageGenerationsRequestBody body, ModelEntry model, GatewayOptions options)
    {
        if (string.Equals(model.Mode, "async", StringComparison.OrdinalIgnoreCase))
        {
            // Behaviour choice (spec 2.3 leaves it open): this endpoint is synchronous only.
            throw ApiException.BadField("model",
                $"The model '{model.Id}' runs asynchronously; use POST /v1/images/generate, which answers 202 and a poll_url, for it.");
        }

        if (model.Operations is { Count: > 0 } operations && !operations.Contains("text-to-image"))
        {
            throw ApiException.BadField("model", $"The model '{model.Id}' does not generate images from text.");
        }

        var stream = body.Stream == true;
        var output = ImageRequestValidator.OutputOptions(model, body.OutputFormat, body.OutputCompression, body.Background, body.Moderation, body.PartialImages, stream: stream);
        var prompt = Required(body.Prompt, "prompt");
        MaxLength(prompt, options.MaxPromptCharacters, "prompt");
        Range(body.N, 1, Math.Min(ImageRequestValidator.MaxImagesDefault, model.Capabilities.MaxImages ?? ImageRequestValidator.MaxImagesDefault), "n");
        var (width, height) = ImageRequestValidator.ParseSize(body.Size, model.MaxImageSize ?? 2048, "size");
        ImageRequestValidator.SupportedSize(model, (width, height), "size");
        OneOf(body.ResponseFormat, "response_format", ImageRequestValidator.ResponseFormats);
        ImageRequestValidator.StreamedFormat(stream, body.ResponseFormat);
        OneOf(body.Quality, "quality", ImageRequestValidator.Qualities);
        ImageRequestValidator.SupportedQuality(model, body.Quality, "quality");
        OneOf(body.Style, "style", "vivid", "natural");
        ImageRequestValidator.SupportedStyle(model, body.Style, "style");
        return new GenerationsPlan(prompt, body.N ?? 1, width, height, output, stream);
    }

    public static async Task<Results<JsonHttpResult<ImageGenerationsResponse>, ServerSentEventsResult<string>>> CreateImageGenerations(
        HttpContext http,
        JsonBody json,
        ModelRequestPipeline pipeline,
        ProviderDispatcher dispatcher,
        ModelFiles files,
        IOptions<GatewayOptions> options,
        CancellationToken cancellationToken)
    {
        var body = await json.ReadAsync(http.Request, GatewayJsonContext.Web.ImageGenerationsRequestBody, cancellationToken);
        RefuseGenerateFields(body);
        return await pipeline.RunAsync(http, ImageRequest<GenerationsPlan, Results<JsonHttpResult<ImageGenerationsResponse>, ServerSentEventsResult<string>>>(
            GenerationsRoute, body.Model, model => ValidateGenerations(body, model, options.Value), plan => (plan.Prompt, plan.Count),
            async (attempt, plan) =>
            {
                var command = plan.Output.ApplyTo(
                    GenerationsCommand(attempt, dispatcher.Now, "text-to-image", plan.Prompt, inputs: null, plan.Count, plan.Width, plan.Height, body.Quality) with { Style = body.Style });
                return await RequestGenerationsAsync(http.Request, command, attempt.Model.Capabilities.ImageResponseFormatOr(body.ResponseFormat), dispatcher, files, cancellationToken,
                    streamEvents: plan.Stream ? ImageStreams.Generation : null);
            }), cancellationToken);
    }

    public static async Task<JsonHttpResult<MultimodalImageResponse>> GenerateImages(
        HttpContext http,
        JsonBody json,
        ModelRequestPipeline pipeline,
        ProviderDispatcher dispatcher,
        ModelFiles files,
        PublicUrls urls,
        IOptions<GatewayOptions> options,
        IOptions<WebhookSubmitOptions> webhooks,
        CancellationToken cancellationToken)
    {
        var body = await json.ReadAsync(http.Request, GatewayJsonContext.Web.ImageGenerateRequestBody, cancellationToken);
        RefuseGenerationsFields(body);
        var request = ImageRequest<ImagePlan, JsonHttpResult<MultimodalImageResponse>>(
            GenerateRoute,
            body.Model,
            model =>
            {
                var plan = ImageRequestValidator.Validate(body, model, options.Value);
                webhooks.Value.EnsureAccepted(plan.WebhookUrl); // never sent unsigned: refused when no secret is configured
                return plan;
            },
            plan => (plan.Prompt, plan.NumImages),
            (attempt, plan) => GenerateAsync(http, attempt, plan, dispatcher, files, urls, options.Value, cancellationToken));
        return await pipeline.RunAsync(http, request with { IsAsync = IsAsync }, cancellationToken);
    }

    /// <summary>
    /// An image route's request to the pipeline: an image model named by <c>model</c>, TPM charged by the prompt, the
    /// reservation priced per image (<paramref name="size"/>: the plan's prompt and image count).
    /// </summary>
    internal static ModelRequest<TPlan, TResult> ImageRequest<TPlan, TResult>(
        string route,
        string? model,
        Func<ModelEntry, TPlan> plan,
        Func<TPlan, (string Prompt, int Images)> size,
        Func<ModelAttempt, TPlan, Task<ModelOutcome<TResult>>> execute) => new()
    {
        Route = route,
        ModelType = "image",
        Kind = JobKind.Image,
        Candidates = [("model", model)],
        Plan = plan,
        Tokens = (_, p) => TokenEstimate.FromCharacters(size(p).Prompt.Length),
        Cost = (entry, p) => CostEstimator.Images(entry.Pricing, size(p).Images),
        Execute = execute,
    };

    /// <summary>The command of the OpenAI-compatible synchronous routes (POST /v1/images/generations and /v1/images/edits) for this attempt.</summary>
    internal static GenerateImage GenerationsCommand(
        ModelAttempt attempt, DateTimeOffset now, string operation, string prompt, IReadOnlyList<ImageInput>? inputs, int images, int width, int height, string? quality) => new()
    {
        JobId = attempt.JobId,
        Timestamp = now,
        Route = attempt.Route,
        Operation = operation,
        Prompt = prompt,
        Inputs = inputs,
        NumImages = images,
        Width = width,
        Height = height,
        Quality = quality,
        Deadline = attempt.Deadline,
    };

    /// <summary>
    /// Runs a synchronous image command and answers as OpenAI does (POST /v1/images/generations and /v1/images/edits):
    /// data[].revised_prompt where its SDKs read it, plus the documented top-level copy.
    /// </summary>
    /// <param name="responseFormat">The request's, else its model's default (<see cref="ModelCapabilities.ImageResponseFormatOr"/>).</param>
    /// <param name="streamEvents">
    /// For <c>stream: true</c>, the event name prefix (<see cref="ImageStreams.Generation"/>, <see cref="ImageStreams.Edit"/>):
    /// the images are answered as server-sent events, in base64; null: the JSON body.
    /// </param>
    internal static async Task<ModelOutcome<Results<JsonHttpResult<ImageGenerationsResponse>, ServerSentEventsResult<string>>>> RequestGenerationsAsync(
        HttpRequest request,
        GenerateImage command,
        string responseFormat,
        ProviderDispatcher dispatcher,
        ModelFiles files,
        CancellationToken cancellationToken,
        string? streamEvents = null)
    {
        var route = command.Route;
        if (streamEvents is not null && command.PartialImages > 0)
        {
            // Partial images asked of a model that draws them: relayed as they come (ImagePartialStream).
            var stream = await ImagePartialStream.StartAsync(request.HttpContext, command, dispatcher, cancellationToken);
            if (stream.Relaying)
            {
                return new(stream.Respond(request.HttpContext, streamEvents,
                    async (done, ct) => ImageStreams.CompletedItems(streamEvents, await ResponseAsync(done, "b64_json", ct), command)));
            }

            await using (stream)
            {
                var early = await stream.Completion;
                return new(ImageStreams.Completed(streamEvents, await ResponseAsync(early, "b64_json", cancellationToken), command), early.Usage);
            }
        }

        var result = await dispatcher.RequestAsync<GenerateImage, ImageGenerated>(command, route, JobKind.Image, cancellationToken);
        var response = await ResponseAsync(result, streamEvents is null ? responseFormat : "b64_json", cancellationToken);
        return streamEvents is null
            ? new(TypedResults.Json(response, GatewayJsonContext.Web.ImageGenerationsResponse), result.Usage)
            : new(ImageStreams.Completed(streamEvents, response, command), result.Usage);

        async Task<ImageGenerationsResponse> ResponseAsync(ImageGenerated result, string format, CancellationToken ct) => new(
            Id: PublicIds.Image(command.JobId),
            Created: command.Timestamp.ToUnixTimeSeconds(),
            Model: route.Model,
            Provider: route.Provider,
            Data: await RenderImagesAsync(request, result, format, files, seeds: false, ct),
            RevisedPrompt: result.RevisedPrompt ?? result.Images.FirstOrDefault(i => i.RevisedPrompt is not null)?.RevisedPrompt)
        {
            Size = result.Output?.Size ?? string.Create(CultureInfo.InvariantCulture, $"{command.Width}x{command.Height}"),
            Quality = result.Output?.Quality ?? command.Quality,
            Background = result.Output?.Background ?? command.Background,
            OutputFormat = result.Output?.OutputFormat ?? command.OutputFormat,
            Usage = result.Usage.TotalTokens > 0 ? new ImageTokenUsage(result.Usage.PromptTokens, result.Usage.CompletionTokens, result.Usage.TotalTokens) : null,
        };
    }

    private static bool IsAsync(ModelEntry model) => string.Equals(model.Mode, "async", StringComparison.OrdinalIgnoreCase);

    private static async Task<ModelOutcome<JsonHttpResult<MultimodalImageResponse>>> GenerateAsync(
        HttpContext http,
        ModelAttempt attempt,
        ImagePlan plan,
        ProviderDispatcher dispatcher,
        ModelFiles files,
        PublicUrls urls,
        GatewayOptions options,
        CancellationToken cancellationToken)
    {
        var (model, route) = (attempt.Model, attempt.Route);
        var isAsync = IsAsync(model);
        var inputs = await StoreInputsAsync(plan.Inputs, files, cancellationToken);
        var command = plan.Output.ApplyTo(new GenerateImage
        {
            JobId = attempt.JobId,
            Timestamp = dispatcher.Now,
            Route = route,
            Operation = plan.Operation,
            Prompt = plan.Prompt,
            Inputs = inputs,
            NumImages = plan.NumImages,
            Width = plan.Width,
            Height = plan.Height,
            AspectRatio = plan.AspectRatio,
            Quality = plan.Quality,
            Seed = plan.Seed,
            Steps = plan.Steps,
            GuidanceScale = plan.GuidanceScale,
            NegativePrompt = plan.NegativePrompt,
            Strength = plan.Strength,
            Async = isAsync,
            Registered = isAsync || plan.WebhookUrl is not null,
            Deadline = attempt.Deadline,
        });
        var publicId = PublicIds.Image(command.JobId);
        var execution = new ExecutionInfo(isAsync ? "async" : "sync", plan.Operation, route.Provider);

        if (!isAsync)
        {
            return await GenerateNowAsync(http, command, plan, model, execution, dispatcher, files, options, cancellationToken);
        }

        await RegisterAsync(command, plan, model, "async", dispatcher, options, cancellationToken);

        // Not the client's token (a registered job must get its command or end failed), but bounded: a broker that stops
        // answering before the connection is seen lost must not hold the client past the register timeout.
        using var handOff = new CancellationTokenSource(options.RegisterJobTimeout);
        try
        {
            await dispatcher.SendAsync(command, route, JobKind.Image, handOff.Token);
        }
        catch (Exception ex) when (ex is ApiException || (ex is OperationCanceledException && handOff.IsCancellationRequested))
        {
            // The job is registered as pending: end it, so it cannot stay pending forever.
            var error = ex as ApiException ?? ProviderDispatcher.BusUnavailable();
            await dispatcher.PublishFailedAsync(command.JobId, route, JobKind.Image, error.ToErrorInfo());
            throw error;
        }

        var pollUrl = urls.ImageJob(http.Request, publicId);
        http.Response.Headers.Location = pollUrl;
        return new(TypedResults.Json(
            new MultimodalImageResponse(publicId, command.Timestamp.ToUnixTimeSeconds(), route.Model, "pending", execution,
                PollUrl: pollUrl, EstimatedTime: model.EstimatedSeconds ?? 0),
            GatewayJsonContext.Web.MultimodalImageResponse,
            statusCode: StatusCodes.Status202Accepted), HandOff: true); // the reservation is held until the job's terminal event
    }

    /// <summary>
    /// A synchronous model's job: 200 with the images. With a <c>webhook_url</c> the job is registered first, as an async
    /// one is, and its outcome is published as an event (<see cref="GenerateImage.Registered"/>), so the webhook is
    /// delivered too: a client that handles every result by webhook need not know which models answer at once. A failure
    /// the adapter never saw (no adapter, the broker gone) is published here, so the webhook reports it.
    /// </summary>
    private static async Task<ModelOutcome<JsonHttpResult<MultimodalImageResponse>>> GenerateNowAsync(
        HttpContext http,
        GenerateImage command,
        ImagePlan plan,
        ModelEntry model,
        ExecutionInfo execution,
        ProviderDispatcher dispatcher,
        ModelFiles files,
        GatewayOptions options,
        CancellationToken cancellationToken)
    {
        var route = command.Route;
        if (command.Registered)
        {
            await RegisterAsync(command, plan, model, "sync", dispatcher, options, cancellationToken);
        }

        ImageGenerated result;
        try
        {
            result = await dispatcher.RequestAsync<GenerateImage, ImageGenerated>(command, route, JobKind.Image, cancellationToken);
        }
        catch (ApiException ex) when (command.Registered)
        {
            // The first terminal event wins: where the adapter or the dispatcher published this failure already, it is ignored.
            await dispatcher.PublishFailedAsync(command.JobId, route, JobKind.Image, ex.ToErrorInfo());
            throw;
        }

        var data = await RenderImagesAsync(http.Request, result, plan.ResponseFormat, files, seeds: true, cancellationToken);
        return new(TypedResults.Json(
            new MultimodalImageResponse(PublicIds.Image(command.JobId), command.Timestamp.ToUnixTimeSeconds(), route.Model, "completed", execution, Data: data,
                Usage: new ImageUsageResponse(result.Usage.Images > 0 ? result.Usage.Images : result.Images.Count, CostEstimator.CostUsd(route, result.Usage))),
            GatewayJsonContext.Web.MultimodalImageResponse), result.Usage);
    }

    /// <summary>
    /// Has JobStatus record the job as pending before its command is sent (the first poll finds it; its webhook is sent
    /// from it). A client that left meanwhile never heard of the job: it ends canceled, not pending.
    /// </summary>
    private static async Task RegisterAsync(
        GenerateImage command, ImagePlan plan, ModelEntry model, string mode, ProviderDispatcher dispatcher, GatewayOptions options, CancellationToken cancellationToken)
    {
        await dispatcher.RegisterAsync(new RegisterJob
        {
            JobId = command.JobId,
            Timestamp = command.Timestamp,
            Route = command.Route,
            Kind = JobKind.Image,
            Mode = mode,
            Operation = plan.Operation,
            WebhookUrl = plan.WebhookUrl,
            ResponseFormat = plan.ResponseFormat,
            EstimatedSeconds = model.EstimatedSeconds,
        }, options.RegisterJobTimeout);
        if (cancellationToken.IsCancellationRequested)
        {
            await dispatcher.PublishCanceledAsync(command.JobId, "The client disconnected before the job was accepted.");
            throw new OperationCanceledException("The client disconnected.", cancellationToken);
        }
    }

    private static async Task<List<ImageInput>?> StoreInputsAsync(IReadOnlyList<PendingImage> inputs, ModelFiles files, CancellationToken cancellationToken)
    {
        if (inputs.Count == 0)
        {
            return null;
        }

        var result = new List<ImageInput>(inputs.Count);
        foreach (var input in inputs)
        {
            if (input.Bytes is { } bytes)
            {
                var blob = await files.PutAsync(bytes, input.MimeType ?? "application/octet-stream", cancellationToken);
                result.Add(new ImageInput { Blob = blob, MimeType = input.MimeType, IsMask = input.IsMask, Field = input.Field });
            }
            else
            {
                result.Add(new ImageInput { Url = input.Url, MimeType = input.MimeType, IsMask = input.IsMask, Field = input.Field });
            }
        }

        return result;
    }

    /// <summary>A provider's images (each with its own revised prompt, else the result's) as <see cref="ImageDatum"/>s.</summary>
    private static Task<List<ImageDatum>> RenderImagesAsync(
        HttpRequest request, ImageGenerated result, string responseFormat, ModelFiles files, bool seeds, CancellationToken cancellationToken) =>
        files.ImagesAsync(request, result.Images.Select(i => (i.Blob.Id, (string?)i.Blob.ContentType, i.Seed, i.RevisedPrompt ?? result.RevisedPrompt)),
            responseFormat, seeds, cancellationToken);
}

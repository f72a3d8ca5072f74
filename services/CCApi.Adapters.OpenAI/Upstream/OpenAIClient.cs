using System.Buffers;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.Outbound;
using CCApi.ServiceDefaults;
using CCApi.Storage;

namespace CCApi.Adapters.OpenAI.Upstream;

/// <summary>
/// OpenAI's wire protocol (any OpenAI-compatible base URL): POST /chat/completions (JSON or SSE stream),
/// POST /images/generations, POST /images/edits (multipart), POST /audio/speech. Every call goes through the provider's <see cref="UpstreamPipeline"/>.
/// </summary>
/// <summary>
/// What an image request brought back: the images, what OpenAI said it made (gpt-image: size, quality, background,
/// format; null for dall-e), and its token usage (gpt-image; zeros for dall-e).
/// </summary>
public sealed record UpstreamImages(IReadOnlyList<ProviderImage> Images, ImageOutput? Output, int InputTokens, int OutputTokens);

/// <summary>Takes one partial image of a streamed image request as the provider sends it (its 0-based partial_image_index).</summary>
public delegate Task PartialImageHandler(int index, ProviderImage image, CancellationToken cancellationToken);

public sealed class OpenAIClient(IHttpClientFactory httpClientFactory, UpstreamPipeline pipeline, UpstreamAdapterOptions options, OutboundUrlGuard urlGuard) : ISpeechProvider
{
    public const string HttpClientName = "openai-upstream";

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };
    private static readonly MediaTypeWithQualityHeaderValue AcceptJson = new("application/json");
    private static readonly MediaTypeWithQualityHeaderValue AcceptEvents = new("text/event-stream");

    /// <summary>Formats /audio/speech accepts (response_format); each is stored under its <see cref="SpeechFormats"/> content type.</summary>
    public static readonly IReadOnlyList<string> SpeechResponseFormats =
        [SpeechFormats.Mp3, SpeechFormats.Opus, SpeechFormats.Aac, SpeechFormats.Flac, SpeechFormats.Wav, SpeechFormats.Pcm];

    private string Provider => options.Provider;

    private HttpClient Http => httpClientFactory.CreateClient(HttpClientName);

    public async Task<ChatReply> ChatAsync(ChatCompletion command, CancellationToken cancellationToken)
    {
        var body = ChatRequestWriter.Write(command, stream: false);
        using var response = await pipeline.SendAsync(Http, () => Post("chat/completions", body, AcceptJson), streaming: false, cancellationToken);
        var bytes = await ReadBytesAsync(response, cancellationToken);
        return ChatResponseReader.ReadCompletion(bytes, Provider);
    }

    /// <summary>
    /// The stream's chunks in order; ends normally only at <c>data: [DONE]</c>. A connection that drops, stalls past the
    /// idle timeout, or ends without [DONE] throws <see cref="UpstreamException"/> (502/504).
    /// </summary>
    public async IAsyncEnumerable<ChatChunk> StreamChatAsync(ChatCompletion command, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var body = ChatRequestWriter.Write(command, stream: true);
        using var response = await pipeline.SendAsync(Http, () => Post("chat/completions", body, AcceptEvents), streaming: true, cancellationToken);
        await using var stream = await OpenStreamAsync(response, cancellationToken);
        using var events = new ServerSentEventReader(stream, options.StreamIdleTimeout);
        while (true)
        {
            var data = await NextEventAsync(events, cancellationToken) ?? throw new UpstreamException(UpstreamErrors.DroppedMidStream(Provider));
            if (data == "[DONE]")
            {
                yield break;
            }

            yield return ChatResponseReader.ReadChunk(data, Provider);
        }
    }

    /// <summary>
    /// POST /images/generations. With <paramref name="onPartial"/> and a command that asks for partial images of a
    /// gpt-image model (<see cref="StreamedPartials"/>), the request streams (<c>stream</c>, <c>partial_images</c>) and each
    /// <c>image_generation.partial_image</c> goes to <paramref name="onPartial"/> as it arrives.
    /// </summary>
    public async Task<UpstreamImages> GenerateImagesAsync(GenerateImage command, PartialImageHandler? onPartial, CancellationToken cancellationToken)
    {
        var partials = onPartial is null ? 0 : StreamedPartials(command);
        var body = ImageRequest(command, partials);
        if (partials == 0)
        {
            using var response = await pipeline.SendAsync(Http, () => Post("images/generations", body, AcceptJson), streaming: false, cancellationToken);
            return await ReadImagesAsync(response, cancellationToken);
        }

        using var streamed = await pipeline.SendAsync(Http, () => Post("images/generations", body, AcceptEvents), streaming: true, cancellationToken);
        return await ReadImageEventsAsync(streamed, "image_generation", onPartial!, cancellationToken);
    }

    /// <summary>
    /// POST /images/edits (multipart) for a validated <see cref="ImageEditPlan"/> and its loaded images; streamed like a
    /// generation when the plan asks for partial images (<c>image_edit.partial_image</c>) and <paramref name="onPartial"/> takes them.
    /// </summary>
    public async Task<UpstreamImages> EditImagesAsync(
        ImageEditPlan plan, IReadOnlyList<LoadedImage> images, LoadedImage? mask, PartialImageHandler? onPartial, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var streamed = onPartial is not null && plan.PartialImages > 0;
        using var response = await pipeline.SendAsync(Http, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, plan.Path) { Content = plan.Form(images, mask, streamed) };
            request.Headers.Accept.Add(streamed ? AcceptEvents : AcceptJson);
            return request;
        }, streaming: streamed, cancellationToken);
        return streamed
            ? await ReadImageEventsAsync(response, "image_edit", onPartial!, cancellationToken)
            : await ReadImagesAsync(response, cancellationToken);
    }

    /// <summary>
    /// The partial images to ask OpenAI for (1–3), or 0: only gpt-image models stream images, only one at a time (OpenAI
    /// refuses a streamed request for n &gt; 1: "Streaming is only supported with n=1", so more images are asked for
    /// without partials — fewer than asked, as OpenAI allows), and only a command whose caller relays partials asks for
    /// them (<see cref="GenerateImage.PartialImages"/>).
    /// </summary>
    public static int StreamedPartials(GenerateImage command) =>
        command.PartialImages is >= 1 and <= 3 && command.NumImages == 1 && ImageFamilyOf(command.Route.ProviderModel) == ImageFamily.GptImage
            ? command.PartialImages
            : 0;

    /// <summary>
    /// A streamed image response (OpenAI's image streaming): <c>{prefix}.partial_image</c> events to
    /// <paramref name="onPartial"/>, <c>{prefix}.completed</c> events collected as the images, anything else skipped; an
    /// <c>error</c> payload is the provider failing (its error mapped as a chat stream's), and a stream that ends without a
    /// completed image is malformed.
    /// </summary>
    private async Task<UpstreamImages> ReadImageEventsAsync(
        HttpResponseMessage response, string prefix, PartialImageHandler onPartial, CancellationToken cancellationToken)
    {
        await using var stream = await OpenStreamAsync(response, cancellationToken);
        using var events = new ServerSentEventReader(stream, options.StreamIdleTimeout);
        var images = new List<ProviderImage>();
        ImageOutput? output = null;
        (int Input, int Output) tokens = (0, 0);
        while (await NextEventAsync(events, cancellationToken) is { } data && data != "[DONE]")
        {
            string? type, b64, revised;
            int index;
            try
            {
                using var doc = JsonDocument.Parse(data);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new UpstreamException(UpstreamErrors.Malformed(Provider, "an image stream event that is not an object"));
                }

                if (root.TryGetProperty("error", out _))
                {
                    throw new UpstreamException(UpstreamErrors.StreamError(Provider, UpstreamErrorBody.Parse(data)));
                }

                (type, b64, revised) = (Text(root, "type"), Text(root, "b64_json"), Text(root, "revised_prompt"));
                index = root.TryGetProperty("partial_image_index", out var i) && i.TryGetInt32(out var n) ? n : 0;
                if (type == prefix + ".completed")
                {
                    // Each completed event repeats the request's settings and usage: the last one's stand.
                    output = OutputOf(root) ?? output;
                    var counted = TokensOf(root);
                    tokens = counted is (0, 0) ? tokens : counted;
                }
            }
            catch (JsonException ex)
            {
                throw new UpstreamException(UpstreamErrors.Malformed(Provider, "an image stream event is not valid JSON"), ex);
            }

            if (type == prefix + ".partial_image")
            {
                await onPartial(index, Decode(b64, "a partial image"), cancellationToken);
            }
            else if (type == prefix + ".completed")
            {
                images.Add(Decode(b64, "an image") with { RevisedPrompt = revised });
            }
        }

        return images.Count > 0
            ? new UpstreamImages(images, output, tokens.Input, tokens.Output)
            : throw new UpstreamException(UpstreamErrors.Malformed(Provider, "the image stream ended without a completed image"));
    }

    /// <summary>An image answered in base64 (JSON <c>b64_json</c>, or an image stream event's), sniffed.</summary>
    private ProviderImage Decode(string? b64, string what)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(b64 ?? throw new UpstreamException(UpstreamErrors.Malformed(Provider, $"{what} without b64_json")));
        }
        catch (FormatException ex)
        {
            throw new UpstreamException(UpstreamErrors.Malformed(Provider, "b64_json is not base64"), ex);
        }

        return Sniffed(bytes);
    }

    /// <summary>The provider's bytes as an image of the type they sniff as; anything but PNG, JPEG or WebP is malformed.</summary>
    private ProviderImage Sniffed(byte[] bytes) =>
        new(bytes, ImageBytes.SniffGenerated(bytes) ?? throw new UpstreamException(UpstreamErrors.Malformed(Provider, "the image is not PNG, JPEG or WebP")));

    private async Task<UpstreamImages> ReadImagesAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var bytes = await ReadBytesAsync(response, cancellationToken);

        List<(string? B64, string? Url, string? Revised)> items;
        ImageOutput? output;
        (int Input, int Output) tokens;
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            if (!doc.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array || data.GetArrayLength() == 0)
            {
                throw new UpstreamException(UpstreamErrors.Malformed(Provider, "no images in 'data'"));
            }

            items = [.. data.EnumerateArray().Select(e => (Text(e, "b64_json"), Text(e, "url"), Text(e, "revised_prompt")))];
            (output, tokens) = (OutputOf(doc.RootElement), TokensOf(doc.RootElement));
        }
        catch (JsonException ex)
        {
            throw new UpstreamException(UpstreamErrors.Malformed(Provider, "the image response is not valid JSON"), ex);
        }

        var images = new List<ProviderImage>(items.Count);
        foreach (var (b64, url, revised) in items)
        {
            ProviderImage image;
            if (b64 is not null)
            {
                image = Decode(b64, "an image");
            }
            else if (url is not null)
            {
                byte[] fetched;
                try
                {
                    (fetched, _) = await urlGuard.FetchAsync(url, cancellationToken);
                }
                catch (Exception ex) when (ex is OutboundUrlException or HttpRequestException or IOException or TimeoutException)
                {
                    throw new UpstreamException(UpstreamErrors.Malformed(Provider, "the image URL it returned could not be fetched"), ex);
                }

                image = Sniffed(fetched);
            }
            else
            {
                throw new UpstreamException(UpstreamErrors.Malformed(Provider, "an image with neither b64_json nor url"));
            }

            images.Add(image with { RevisedPrompt = revised });
        }

        return new UpstreamImages(images, output, tokens.Input, tokens.Output);
    }

    /// <summary>gpt-image's account of what it made (<c>size</c>, <c>quality</c>, <c>background</c>, <c>output_format</c>); null when it gives none.</summary>
    private static ImageOutput? OutputOf(JsonElement root)
    {
        var output = new ImageOutput
        {
            Size = Text(root, "size"),
            Quality = Text(root, "quality"),
            Background = Text(root, "background"),
            OutputFormat = Text(root, "output_format"),
        };
        return output is { Size: null, Quality: null, Background: null, OutputFormat: null } ? null : output;
    }

    /// <summary>gpt-image's <c>usage</c> (input and output tokens); zeros when there is none (dall-e) or it is not numbers.</summary>
    private static (int Input, int Output) TokensOf(JsonElement root)
    {
        if (!root.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return (0, 0);
        }

        static int Count(JsonElement usage, string name) =>
            usage.TryGetProperty(name, out var value) && value.TryGetInt32(out var count) && count >= 0 ? count : 0;
        return (Count(usage, "input_tokens"), Count(usage, "output_tokens"));
    }

    public string SpeechStep => "openai-speech";

    /// <summary>Speech through POST /audio/speech, in the format asked for (its duration is not reported).</summary>
    public Task<SpeechAudio> SynthesizeAsync(Speech command, CancellationToken cancellationToken) =>
        SynthesizeAsync(command, relay: null, cancellationToken);

    /// <summary>
    /// The same, with each piece of audio handed to <paramref name="relay"/> as OpenAI sends it: /audio/speech answers
    /// the audio progressively (chunked) for every speech model, so the body is read as it comes; a body that stalls
    /// for <c>StreamIdleTimeout</c> or is cut fails the job as a chat stream's does.
    /// </summary>
    public async Task<SpeechAudio> SynthesizeAsync(Speech command, SpeechAudioRelay? relay, CancellationToken cancellationToken)
    {
        var format = command.Format.ToLowerInvariant();
        if (!SpeechResponseFormats.Contains(format) || SpeechFormats.ContentType(format) is not { } contentType)
        {
            throw ApiException.BadField("response_format",
                $"Provider '{Provider}' cannot produce '{command.Format}' audio; use one of {string.Join(", ", SpeechResponseFormats)}.");
        }

        var events = SpeechEvents(command);

        var body = JsonBody(json =>
        {
            json.WriteString("model", command.Route.ProviderModel);
            json.WriteString("input", command.Input);
            json.WriteString("voice", command.Voice);
            json.WriteString("response_format", format);
            if (command.Speed is { } speed)
            {
                json.WriteNumber("speed", speed);
            }

            if (command.Instructions is { } instructions)
            {
                json.WriteString("instructions", instructions);
            }

            if (events)
            {
                json.WriteString("stream_format", "sse");
            }
        });
        using var response = await pipeline.SendAsync(Http, () => Post("audio/speech", body, events ? AcceptEvents : null),
            streaming: relay is not null || events, cancellationToken);
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is "application/json")
        {
            throw new UpstreamException(UpstreamErrors.Malformed(Provider, "JSON where audio was expected"));
        }

        if (events && mediaType is "text/event-stream")
        {
            return await ReadSpeechEventsAsync(response, relay, contentType, format, cancellationToken);
        }

        var audio = relay is null ? await ReadBytesAsync(response, cancellationToken) : await RelayBytesAsync(response, relay, cancellationToken);
        if (audio.Length == 0)
        {
            throw new UpstreamException(UpstreamErrors.Malformed(Provider, "empty audio"));
        }

        return new SpeechAudio(audio, contentType, format, DurationSeconds: 0);
    }

    /// <summary>
    /// Speech of a model the catalog prices by tokens (gpt-4o-mini-tts: text input and audio output per million) is asked
    /// for as OpenAI's server-sent events (<c>stream_format: "sse"</c>), the only answer that carries its token counts
    /// (<c>speech.audio.done</c>'s <c>usage</c>); tts-1 and tts-1-hd, priced per character, do not stream events.
    /// </summary>
    public static bool SpeechEvents(Speech command) =>
        command.Route.Pricing is { } pricing && (pricing.InputPerMillion > 0 || pricing.OutputPerMillion > 0);

    /// <summary>
    /// OpenAI's speech events: each <c>speech.audio.delta</c>'s base64 audio appended (and relayed, when the caller plays
    /// it), <c>speech.audio.done</c>'s usage the tokens; an <c>error</c> payload is the provider failing, and a stream that
    /// ends without <c>speech.audio.done</c> is malformed (its audio may be cut short).
    /// </summary>
    private async Task<SpeechAudio> ReadSpeechEventsAsync(
        HttpResponseMessage response, SpeechAudioRelay? relay, string contentType, string format, CancellationToken cancellationToken)
    {
        await using var stream = await OpenStreamAsync(response, cancellationToken);
        using var events = new ServerSentEventReader(stream, options.StreamIdleTimeout);
        using var whole = new MemoryStream();
        (int Input, int Output)? tokens = null;
        while (await NextEventAsync(events, cancellationToken) is { } data && data != "[DONE]")
        {
            byte[]? piece = null;
            try
            {
                using var doc = JsonDocument.Parse(data);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new UpstreamException(UpstreamErrors.Malformed(Provider, "a speech event that is not an object"));
                }

                if (root.TryGetProperty("error", out _))
                {
                    throw new UpstreamException(UpstreamErrors.StreamError(Provider, UpstreamErrorBody.Parse(data)));
                }

                switch (Text(root, "type"))
                {
                    case "speech.audio.delta":
                        piece = Convert.FromBase64String(Text(root, "audio") ?? "");
                        break;
                    case "speech.audio.done":
                        tokens = TokensOf(root);
                        break;
                }
            }
            catch (Exception ex) when (ex is JsonException or FormatException)
            {
                throw new UpstreamException(UpstreamErrors.Malformed(Provider, "a speech event is not valid JSON with base64 audio"), ex);
            }

            if (piece is { Length: > 0 })
            {
                whole.Write(piece);
                if (relay is not null)
                {
                    await relay(piece);
                }
            }
        }

        if (tokens is not { } counted)
        {
            throw new UpstreamException(UpstreamErrors.Malformed(Provider, "a speech stream that ends without speech.audio.done"));
        }

        if (whole.Length == 0)
        {
            throw new UpstreamException(UpstreamErrors.Malformed(Provider, "empty audio"));
        }

        return new SpeechAudio(whole.ToArray(), contentType, format, DurationSeconds: 0, counted.Input, counted.Output);
    }

    /// <summary>Reads the body as it arrives, relaying each read; the whole of it is returned.</summary>
    private async Task<byte[]> RelayBytesAsync(HttpResponseMessage response, SpeechAudioRelay relay, CancellationToken cancellationToken)
    {
        try
        {
            return await UpstreamBodies.RelayAsync(response, relay, options.StreamIdleTimeout, cancellationToken);
        }
        catch (TimeoutException ex)
        {
            throw new UpstreamException(UpstreamErrors.Timeout(Provider, options.StreamIdleTimeout), ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new UpstreamException(UpstreamErrors.DroppedMidStream(Provider), ex);
        }
    }

    /// <summary>
    /// The body of POST /images/generations: size from width×height; dall-e models are asked for b64_json;
    /// <paramref name="partials"/> &gt; 0 (<see cref="StreamedPartials"/>) streams it with that many partial images.
    /// </summary>
    public static byte[] ImageRequest(GenerateImage command, int partials = 0)
    {
        if (command.Operation != "text-to-image" || command.Inputs is { Count: > 0 })
        {
            throw ApiException.BadField("operation", $"Operation '{command.Operation}' is not supported by this provider; use 'text-to-image'.");
        }

        return JsonBody(json =>
        {
            json.WriteString("model", command.Route.ProviderModel);
            json.WriteString("prompt", command.Prompt);
            json.WriteNumber("n", command.NumImages);
            json.WriteString("size", UpstreamSize(command));
            if (UpstreamQuality(command.Route.ProviderModel, command.Quality) is { } quality)
            {
                json.WriteString("quality", quality);
            }

            if (UpstreamStyle(command) is { } style)
            {
                json.WriteString("style", style);
            }

            if (ImageFamilyOf(command.Route.ProviderModel) is ImageFamily.DallE2 or ImageFamily.DallE3)
            {
                RefuseGptImageOptions(command);
                json.WriteString("response_format", "b64_json"); // gpt-image models always answer b64_json and reject the field
            }
            else
            {
                foreach (var (field, value) in GptImageOptions(command))
                {
                    if (value is int number)
                    {
                        json.WriteNumber(field, number);
                    }
                    else
                    {
                        json.WriteString(field, (string)value);
                    }
                }

                if (partials > 0)
                {
                    json.WriteBoolean("stream", true);
                    json.WriteNumber("partial_images", partials);
                }
            }
        });
    }

    /// <summary>
    /// The command's <c>style</c> (<c>vivid</c> | <c>natural</c>), which only dall-e-3 takes: OpenAI refuses it for dall-e-2
    /// and gpt-image, so for them it is a 400 naming <c>style</c> with no call, rather than the provider's. Any other model
    /// (passed through to an OpenAI-compatible server) gets it as sent.
    /// </summary>
    public static string? UpstreamStyle(GenerateImage command) =>
        command.Style is null || ImageFamilyOf(command.Route.ProviderModel) is ImageFamily.DallE3 or ImageFamily.Other
            ? command.Style
            : throw ApiException.BadField("style", $"{command.Route.ProviderModel} takes no 'style' (only dall-e-3 does); send the request without it.",
                ErrorCodes.UnsupportedParameter);

    /// <summary>OpenAI's image model families, whose sizes, qualities and options differ; <see cref="ImageFamily.Other"/>: a model passed through.</summary>
    public enum ImageFamily
    {
        DallE2,
        DallE3,
        GptImage,
        Other,
    }

    /// <summary>The family of an upstream model id: dall-e-2, another dall-e (dall-e-3), gpt-image-*, or any other.</summary>
    public static ImageFamily ImageFamilyOf(string providerModel) =>
        providerModel.StartsWith("dall-e-2", StringComparison.OrdinalIgnoreCase) ? ImageFamily.DallE2
        : providerModel.StartsWith("dall-e", StringComparison.OrdinalIgnoreCase) ? ImageFamily.DallE3
        : providerModel.StartsWith("gpt-image", StringComparison.OrdinalIgnoreCase) ? ImageFamily.GptImage
        : ImageFamily.Other;

    /// <summary>
    /// The sizes OpenAI's image models make, generating and editing alike (API reference, <c>size</c>): dall-e-2 three
    /// squares, dall-e-3 a square and two 7:4 shapes, gpt-image a square and two 3:2 shapes. Null for any other model
    /// (passed through to an OpenAI-compatible server, whose sizes are its own).
    /// </summary>
    public static IReadOnlyList<(int Width, int Height)>? Sizes(string providerModel) => ImageFamilyOf(providerModel) switch
    {
        ImageFamily.DallE2 => [(256, 256), (512, 512), (1024, 1024)],
        ImageFamily.DallE3 => [(1024, 1024), (1792, 1024), (1024, 1792)],
        ImageFamily.GptImage => [(1024, 1024), (1536, 1024), (1024, 1536)],
        _ => null,
    };

    /// <summary>
    /// The <c>size</c> sent for the command: its width × height when the model makes it; for a bare <c>aspect_ratio</c>
    /// (CCAPI's route turns "16:9" into 1024x576, which no OpenAI model makes) the model's size of the nearest shape, as the
    /// StabilityAI adapter does for SDXL; any other size is a 400 naming <c>size</c> that lists the model's, with no call
    /// (OpenAI would answer the same 400).
    /// </summary>
    public static string UpstreamSize(GenerateImage command)
    {
        var size = (command.Width, command.Height);
        if (Sizes(command.Route.ProviderModel) is not { } sizes || sizes.Contains(size))
        {
            return ImageSizes.Describe(size);
        }

        return ImageSizes.ForAspectRatio(sizes, command.AspectRatio, command.Width, command.Height) is { } snapped
            ? ImageSizes.Describe(snapped)
            : throw ApiException.BadField("size",
                $"{command.Route.ProviderModel} makes only these sizes: {string.Join(", ", sizes.Select(ImageSizes.Describe))}; got {ImageSizes.Describe(size)} ('size', or parameters.width/height).");
    }

    /// <summary>
    /// The command's <c>quality</c> as its model takes it. Clients send either family's tiers on every route — CCAPI's and
    /// dall-e's <c>standard</c>/<c>hd</c> (the .NET SDK's <c>GeneratedImageQuality.High</c> is <c>hd</c>), gpt-image's
    /// <c>low</c>/<c>medium</c>/<c>high</c>/<c>auto</c> — and OpenAI refuses the other family's. So each model gets its
    /// nearest tier: gpt-image <c>standard</c> → <c>medium</c>, <c>hd</c> → <c>high</c>; dall-e-3 <c>low</c>/<c>medium</c> →
    /// <c>standard</c>, <c>high</c> → <c>hd</c>, <c>auto</c> → its default; dall-e-2 has one quality, so none is sent, and
    /// <c>hd</c>/<c>high</c> are refused rather than silently not given. Any other model (passed through to an
    /// OpenAI-compatible server) gets the value unchanged. Null: the model's default.
    /// </summary>
    public static string? UpstreamQuality(string providerModel, string? quality) => quality is null ? null : ImageFamilyOf(providerModel) switch
    {
        ImageFamily.DallE2 when quality is "hd" or "high" => throw ApiException.BadField("quality",
            $"dall-e-2 has one quality, standard; it cannot make '{quality}' images. Use dall-e-3 or gpt-image-1 for them.", ErrorCodes.UnsupportedParameter),
        ImageFamily.DallE2 => null,
        ImageFamily.DallE3 => quality switch { "hd" or "high" => "hd", "auto" => null, _ => "standard" },
        ImageFamily.GptImage => quality switch { "standard" => "medium", "hd" => "high", _ => quality },
        _ => quality,
    };

    /// <summary>gpt-image's output options the command sets, under OpenAI's names: text, or a whole number for the compression.</summary>
    public static List<(string Field, object Value)> GptImageOptions(GenerateImage command)
    {
        var options = new List<(string Field, object Value)>(4);
        foreach (var (field, value) in (ReadOnlySpan<(string, object?)>)[
            ("output_format", command.OutputFormat), ("output_compression", command.OutputCompression), ("background", command.Background), ("moderation", command.Moderation)])
        {
            if (value is not null)
            {
                options.Add((field, value));
            }
        }

        return options;
    }

    /// <summary>dall-e models take none of gpt-image's output options (the catalog does not list them for dall-e; this is the adapter's own check).</summary>
    public static void RefuseGptImageOptions(GenerateImage command)
    {
        if (GptImageOptions(command) is [var (field, _), ..])
        {
            throw ApiException.BadField(field, $"{command.Route.ProviderModel} takes no '{field}'; it is a gpt-image option.", ErrorCodes.UnsupportedParameter);
        }
    }

    private static HttpRequestMessage Post(string path, byte[] body, MediaTypeWithQualityHeaderValue? accept)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = JsonContentType;
        if (accept is not null)
        {
            request.Headers.Accept.Add(accept);
        }

        return request;
    }

    private static byte[] JsonBody(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            write(json);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private async Task<byte[]> ReadBytesAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadAsByteArrayAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new UpstreamException(UpstreamErrors.DroppedMidStream(Provider), ex);
        }
    }

    private async Task<Stream> OpenStreamAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadAsStreamAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new UpstreamException(UpstreamErrors.DroppedMidStream(Provider), ex);
        }
    }

    private async Task<string?> NextEventAsync(ServerSentEventReader events, CancellationToken cancellationToken)
    {
        try
        {
            return await events.ReadDataAsync(cancellationToken);
        }
        catch (TimeoutException ex)
        {
            throw new UpstreamException(UpstreamErrors.Timeout(Provider, options.StreamIdleTimeout), ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new UpstreamException(UpstreamErrors.DroppedMidStream(Provider), ex);
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

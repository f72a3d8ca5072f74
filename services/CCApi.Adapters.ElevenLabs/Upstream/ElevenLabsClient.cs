using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.ElevenLabs.Upstream;

/// <summary>
/// ElevenLabs' text-to-speech wire protocol: POST {base}/v1/text-to-speech/{voice_id}?output_format=… with the
/// <c>xi-api-key</c> header and a JSON body {text, model_id, voice_settings}; the answer is the audio bytes. Every call
/// goes through the provider's <see cref="UpstreamPipeline"/>.
/// </summary>
public sealed class ElevenLabsClient(
    IHttpClientFactory httpClientFactory,
    UpstreamPipeline pipeline,
    VoiceDirectory voices,
    IOptions<ElevenLabsAdapterOptions> options) : ISpeechProvider
{
    public const string HttpClientName = "elevenlabs-upstream";
    public const string ApiKeyHeader = "xi-api-key";

    /// <summary>voice_settings.speed as ElevenLabs documents it: 0.7 (slowest) to 1.2 (fastest), 1.0 normal.</summary>
    public const double MinSpeed = 0.7;
    public const double MaxSpeed = 1.2;

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };

    private string Provider => options.Value.Provider;

    public string SpeechStep => "elevenlabs-speech";

    /// <summary>
    /// Speech through POST /v1/text-to-speech/{voice_id}, the voice resolved by id or name; the audio is checked against
    /// the container that was asked for, and its duration read from it.
    /// </summary>
    public Task<SpeechAudio> SynthesizeAsync(Speech command, CancellationToken cancellationToken) =>
        SynthesizeAsync(command, relay: null, cancellationToken);

    /// <summary>
    /// The same through ElevenLabs' streaming endpoint, POST /v1/text-to-speech/{voice_id}/stream (same body and query),
    /// which sends the audio as it is generated: each piece is handed to <paramref name="relay"/> as it arrives, and the
    /// whole is checked as above once it is in.
    /// </summary>
    public async Task<SpeechAudio> SynthesizeAsync(Speech command, SpeechAudioRelay? relay, CancellationToken cancellationToken)
    {
        var format = Validate(command);
        var voiceId = await voices.ResolveAsync(command.Voice, cancellationToken);
        var body = RequestBody(command, options.Value);
        var path = $"v1/text-to-speech/{Uri.EscapeDataString(voiceId)}{(relay is null ? "" : "/stream")}?output_format={format.ProviderFormat}";

        string? providerCode = null;
        HttpResponseMessage response;
        try
        {
            response = await pipeline.SendAsync(
                httpClientFactory.CreateClient(HttpClientName),
                () => Post(path, body),
                streaming: relay is not null,
                cancellationToken,
                text =>
                {
                    var error = ElevenLabsErrors.Parse(text);
                    providerCode = error?.Code;
                    return error;
                });
        }
        catch (UpstreamException ex) when (providerCode == ElevenLabsErrors.QuotaExceededCode)
        {
            throw new UpstreamException(ElevenLabsErrors.QuotaExceeded(Provider), ex);
        }

        using (response)
        {
            var mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
            if (mediaType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.StartsWith("text/", StringComparison.OrdinalIgnoreCase))
            {
                throw new UpstreamException(UpstreamErrors.Malformed(Provider, $"{mediaType} where audio was expected"));
            }

            byte[] audio;
            try
            {
                audio = relay is null
                    ? await response.Content.ReadAsByteArrayAsync(cancellationToken)
                    : await UpstreamBodies.RelayAsync(response, relay, options.Value.StreamIdleTimeout, cancellationToken);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                throw new UpstreamException(UpstreamErrors.DroppedMidStream(Provider), ex);
            }
            catch (TimeoutException ex)
            {
                throw new UpstreamException(UpstreamErrors.Timeout(Provider, options.Value.StreamIdleTimeout), ex);
            }

            if (audio.Length == 0)
            {
                throw new UpstreamException(UpstreamErrors.Malformed(Provider, "empty audio"));
            }

            if (!OutputFormats.Matches(format.Container, audio))
            {
                throw new UpstreamException(UpstreamErrors.Malformed(Provider, $"the audio is not {format.ProviderFormat}"));
            }

            return new SpeechAudio(audio, format.ContentType, format.Format, OutputFormats.DurationSeconds(format, audio));
        }
    }

    /// <summary>
    /// What is checked before any call: a format ElevenLabs can produce, a speed in its range, and no
    /// <c>instructions</c> (ElevenLabs has no such input; silently dropping it would answer with speech the client did
    /// not ask for).
    /// </summary>
    public static OutputFormat Validate(Speech command)
    {
        var format = OutputFormats.For(command.Format)
            ?? throw ApiException.BadField("response_format",
                $"ElevenLabs cannot produce '{command.Format}' audio; use one of {string.Join(", ", OutputFormats.Supported)}.");

        if (command.Speed is { } speed && (double.IsNaN(speed) || speed < MinSpeed || speed > MaxSpeed))
        {
            throw ApiException.BadField("speed",
                $"'speed' must be between {MinSpeed.ToString(CultureInfo.InvariantCulture)} and {MaxSpeed.ToString(CultureInfo.InvariantCulture)} for ElevenLabs voices " +
                $"(1.0 is normal); got {speed.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (!string.IsNullOrWhiteSpace(command.Instructions))
        {
            throw ApiException.BadField("instructions",
                "ElevenLabs voices take no 'instructions'; remove the field (with eleven_v3, direct the delivery with audio tags such as [whispers] in 'input').",
                ErrorCodes.UnsupportedParameter);
        }

        return format;
    }

    /// <summary>
    /// The JSON body: text, model_id (the route's provider model) and, when the request sets a speed or the operator
    /// configured any voice setting, voice_settings. When it is sent it always carries stability and similarity_boost
    /// (configured, else ElevenLabs' documented defaults 0.5 / 0.75), which older API versions require.
    /// </summary>
    public static byte[] RequestBody(Speech command, ElevenLabsAdapterOptions options)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + (command.Input.Length * 2));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("text", command.Input);
            json.WriteString("model_id", command.Route.ProviderModel);
            var configured = options.Stability is not null || options.SimilarityBoost is not null || options.Style is not null || options.UseSpeakerBoost is not null;
            if (command.Speed is not null || configured)
            {
                json.WriteStartObject("voice_settings");
                json.WriteNumber("stability", options.Stability ?? 0.5);
                json.WriteNumber("similarity_boost", options.SimilarityBoost ?? 0.75);
                if (options.Style is { } style)
                {
                    json.WriteNumber("style", style);
                }

                if (options.UseSpeakerBoost is { } boost)
                {
                    json.WriteBoolean("use_speaker_boost", boost);
                }

                if (command.Speed is { } speed)
                {
                    json.WriteNumber("speed", speed);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static HttpRequestMessage Post(string path, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = JsonContentType;
        return request;
    }
}

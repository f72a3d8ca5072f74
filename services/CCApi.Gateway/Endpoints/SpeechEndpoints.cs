using CCApi.Contracts;
using CCApi.Gateway.Api;
using CCApi.Gateway.Auth;
using CCApi.Gateway.Catalog;
using CCApi.Gateway.Credits;
using CCApi.Gateway.Dispatch;
using CCApi.Gateway.Http;
using CCApi.Gateway.Limits;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using static CCApi.Gateway.Api.Validation;

namespace CCApi.Gateway.Endpoints;

/// <summary>
/// POST /v1/audio/speech (spec 2.2) in two modes. OpenAI mode — no <c>output_format</c>, and <c>response_format</c>
/// absent or an audio format — answers the audio bytes with their content type, as OpenAI does, so its SDKs work.
/// CCAPI mode — <c>output_format</c> given, or <c>response_format</c> "url"/"b64_json" — answers JSON
/// (<see cref="SpeechResponse"/>, our design) with a signed URL or inline base64.
/// </summary>
public static class SpeechEndpoints
{
    private const string Route = "POST /v1/audio/speech";
    private static readonly string[] OutputFormats = ["mp3", "wav", "ogg", "opus", "flac", "pcm"];
    private static readonly string[] OpenAiFormats = ["mp3", "opus", "aac", "flac", "wav", "pcm"];

    public static IEndpointRouteBuilder MapSpeechEndpoints(this IEndpointRouteBuilder app)
    {
        foreach (var group in app.MapApiGroups("Speech"))
        {
            group.MapPost("/audio/speech", CreateSpeech)
                .Accepts<SpeechRequestBody>("application/json")
                .Produces<SpeechResponse>(StatusCodes.Status200OK)
                .Produces(StatusCodes.Status200OK, contentType: "audio/mpeg")
                .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
                .ProducesModelRouteErrors();
        }

        return app;
    }

    /// <summary>How the client wants the audio: format, and bytes vs. JSON (url | b64_json).</summary>
    public sealed record SpeechMode(string Format, string FormatField, bool Json, bool Inline);

    public static SpeechMode ParseMode(SpeechRequestBody body)
    {
        if (body.OutputFormat is { } output)
        {
            OneOf(output, "output_format", OutputFormats);
            var responseFormat = body.ResponseFormat ?? "url";
            if (responseFormat is not ("url" or "b64_json"))
            {
                throw ApiException.BadField("response_format",
                    $"'response_format' must be url or b64_json when 'output_format' is given; got '{Truncate(responseFormat)}'.");
            }

            return new SpeechMode(output, "output_format", Json: true, Inline: responseFormat == "b64_json");
        }

        return body.ResponseFormat switch
        {
            null => new SpeechMode("mp3", "response_format", Json: false, Inline: true),
            "url" or "b64_json" => new SpeechMode("mp3", "response_format", Json: true, Inline: body.ResponseFormat == "b64_json"),
            var format when Array.IndexOf(OpenAiFormats, format) >= 0 => new SpeechMode(format, "response_format", Json: false, Inline: true),
            var other => throw ApiException.BadField("response_format",
                $"'response_format' must be one of {string.Join(", ", OpenAiFormats)}, url or b64_json; got '{Truncate(other)}'."),
        };
    }

    public static async Task<Results<FileContentHttpResult, JsonHttpResult<SpeechResponse>>> CreateSpeech(
        HttpContext http,
        JsonBody json,
        CatalogAccess catalogs,
        ModelAdmission admission,
        ProviderDispatcher dispatcher,
        IBlobStore blobs,
        PublicUrls urls,
        CancellationToken cancellationToken)
    {
        var body = await json.ReadAsync(http.Request, GatewayJsonContext.Web.SpeechRequestBody, cancellationToken);
        var catalog = await catalogs.GetAsync(cancellationToken);
        var model = ModelResolution.Resolve(catalog, body.Model, "model", "audio", Route);

        var input = body.Input ?? throw ApiException.Missing("input");
        if (input.Length == 0)
        {
            throw ApiException.BadField("input", "'input' must not be empty.");
        }

        if (model.Capabilities.MaxInputCharacters is { } max && input.Length > max)
        {
            throw ApiException.BadField("input", $"'input' is {input.Length} characters; '{model.Id}' accepts at most {max}.");
        }

        var voice = Required(body.Voice, "voice");
        if (model.Voices is { Count: > 0 } voices && !voices.Contains(voice, StringComparer.OrdinalIgnoreCase))
        {
            throw ApiException.BadField("voice", $"'voice' must be one of {string.Join(", ", voices)} for '{model.Id}'; got '{Truncate(voice)}'.");
        }

        Range(body.Speed, 0.25, 4, "speed");
        var mode = ParseMode(body);
        if (model.Formats is { Count: > 0 } formats && !formats.Contains(mode.Format, StringComparer.OrdinalIgnoreCase))
        {
            throw ApiException.BadField(mode.FormatField,
                $"'{mode.FormatField}' {mode.Format} is not offered by '{model.Id}'; choose one of {string.Join(", ", formats)}.");
        }

        ModelResolution.EnsureAvailable(catalog, model);
        var jobId = Guid.NewGuid();
        var deadline = dispatcher.Deadline;
        var route = await admission.AdmitAsync(http, model, TokenEstimate.FromCharacters(input.Length), jobId,
            m => CostEstimator.Speech(m.Pricing, input.Length), deadline);
        var command = new Speech
        {
            JobId = jobId,
            Timestamp = dispatcher.Now,
            Route = route,
            Input = input,
            Voice = voice,
            Format = mode.Format,
            Speed = body.Speed,
            Instructions = body.Instructions,
            Deadline = deadline,
        };
        var result = await dispatcher.RequestAsync<Speech, SpeechSynthesized>(command, route, JobKind.Speech, cancellationToken);
        if (http.CreditHold() is { } hold)
        {
            await hold.SettleAsync(route, JobKind.Speech, result.Usage);
        }

        if (!mode.Json)
        {
            var audio = await FetchAsync(blobs, result.Audio, cancellationToken);
            return TypedResults.File(audio.Bytes, MediaTypes.Audio(result.Format));
        }

        string? url = null;
        string? b64 = null;
        if (mode.Inline)
        {
            b64 = Convert.ToBase64String((await FetchAsync(blobs, result.Audio, cancellationToken)).Bytes);
        }
        else
        {
            url = urls.File(http.Request, result.Audio, result.Format);
        }

        return TypedResults.Json(
            new SpeechResponse(
                Id: "speech_" + command.JobId.ToString("N"),
                Created: command.Timestamp.ToUnixTimeSeconds(),
                Model: route.Model,
                Provider: route.Provider,
                Format: result.Format,
                Url: url,
                B64Json: b64,
                DurationSeconds: result.DurationSeconds > 0 ? result.DurationSeconds : null,
                Usage: new SpeechUsageResponse(result.Usage.Characters > 0 ? result.Usage.Characters : input.Length, CostEstimator.CostUsd(route, result.Usage))),
            GatewayJsonContext.Web.SpeechResponse);
    }

    internal static async Task<Blob> FetchAsync(IBlobStore blobs, BlobRef blob, CancellationToken cancellationToken) =>
        await blobs.GetAsync(blob.Id, cancellationToken)
        ?? throw new ApiException(502, ErrorTypes.Api, ErrorCodes.ProviderError, "The provider's result is no longer available.");
}

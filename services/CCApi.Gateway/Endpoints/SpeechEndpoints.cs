using static CCApi.Gateway.Api.Validation;

namespace CCApi.Gateway.Endpoints;

/// <summary>
/// POST /v1/audio/speech (spec 2.2) in two modes. OpenAI mode — no <c>output_format</c>, and <c>response_format</c>
/// absent or an audio format — answers the audio bytes with their content type, as OpenAI does, so its SDKs work.
/// CCAPI mode — <c>output_format</c> given, or <c>response_format</c> "url"/"b64_json" — answers JSON
/// (<see cref="SpeechResponse"/>, our design) with a signed URL or inline base64. In OpenAI mode the audio is played as
/// the provider makes it (<see cref="SpeechAudioStream"/>): the bytes as they come, or with <c>stream_format: "sse"</c>
/// OpenAI's <c>speech.audio.delta</c> / <c>speech.audio.done</c> events.
/// </summary>
public static class SpeechEndpoints
{
    private const string Route = "POST /v1/audio/speech";
    private static readonly string[] OutputFormats = ["mp3", "wav", "ogg", "opus", "flac", "pcm"];
    private static readonly string[] OpenAiFormats = ["mp3", "opus", "aac", "flac", "wav", "pcm"];

    public static IEndpointRouteBuilder MapSpeechEndpoints(this IEndpointRouteBuilder app) =>
        app.MapApiRoutes("Speech", group => group.MapPost("/audio/speech", CreateSpeech).AsModelPost<SpeechRequestBody, SpeechResponse>(
            route => route.Produces200Also("audio/mpeg").Produces200Also("text/event-stream"))); // the audio bytes; stream_format: sse

    /// <summary>How the client wants the audio: format, and bytes vs. JSON (url | b64_json).</summary>
    public sealed record SpeechMode(string Format, string FormatField, bool Json, bool Inline, bool Events = false);

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

    /// <summary>A speech request checked against its model.</summary>
    public sealed record SpeechPlan(string Input, string Voice, SpeechMode Mode);

    /// <summary>The checks of a speech request that need its model (400 naming the field).</summary>
    public static SpeechPlan Validate(SpeechRequestBody body, ModelEntry model)
    {
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
        if (!string.IsNullOrWhiteSpace(body.Instructions) && model.Capabilities.SpeechInstructions == false)
        {
            throw ApiException.BadField("instructions",
                $"The model '{model.Id}' does not follow 'instructions' (its capabilities.speech_instructions is false); remove the field, or use a model that does.",
                ErrorCodes.UnsupportedParameter);
        }

        var mode = ParseMode(body);
        if (body.StreamFormat is { } streamFormat)
        {
            OneOf(streamFormat, "stream_format", "audio", "sse");
            if (streamFormat == "sse")
            {
                if (mode.Json)
                {
                    throw ApiException.BadField("stream_format",
                        $"'stream_format' sse streams the audio itself as events; it cannot be combined with {mode.FormatField} answered as JSON (url, b64_json, output_format). Use an audio format, or stream_format audio.");
                }

                mode = mode with { Events = true };
            }
        }

        if (model.Formats is { Count: > 0 } formats && !formats.Contains(mode.Format, StringComparer.OrdinalIgnoreCase))
        {
            throw ApiException.BadField(mode.FormatField,
                $"'{mode.FormatField}' {mode.Format} is not offered by '{model.Id}'; choose one of {string.Join(", ", formats)}.",
                ErrorCodes.UnsupportedParameter); // what a model cannot do, as chat and image routes say it
        }

        return new SpeechPlan(input, voice, mode);
    }

    public static async Task<Results<FileContentHttpResult, JsonHttpResult<SpeechResponse>, ServerSentEventsResult<string>, SpeechAudioResult>> CreateSpeech(
        HttpContext http,
        JsonBody json,
        ModelRequestPipeline pipeline,
        ProviderDispatcher dispatcher,
        ModelFiles files,
        CancellationToken cancellationToken)
    {
        var body = await json.ReadAsync(http.Request, GatewayJsonContext.Web.SpeechRequestBody, cancellationToken);
        return await pipeline.RunAsync(http, new ModelRequest<SpeechPlan, Results<FileContentHttpResult, JsonHttpResult<SpeechResponse>, ServerSentEventsResult<string>, SpeechAudioResult>>
        {
            Route = Route,
            ModelType = "audio",
            Kind = JobKind.Speech,
            Candidates = [("model", body.Model)],
            Plan = model => Validate(body, model),
            Tokens = (_, plan) => TokenEstimate.FromCharacters(plan.Input.Length),
            Cost = (model, plan) => CostEstimator.Speech(model.Pricing, plan.Input, plan.Input.Length, body.Speed),
            Execute = async (attempt, plan) =>
            {
                var command = new Speech
                {
                    JobId = attempt.JobId,
                    Timestamp = dispatcher.Now,
                    Route = attempt.Route,
                    Input = plan.Input,
                    Voice = plan.Voice,
                    Format = plan.Mode.Format,
                    Speed = body.Speed,
                    Instructions = body.Instructions,
                    Deadline = attempt.Deadline,
                };
                if (plan.Mode.Json)
                {
                    var result = await dispatcher.RequestAsync<Speech, SpeechSynthesized>(command, attempt.Route, JobKind.Speech, cancellationToken);
                    return new(await RenderAsync(http.Request, command, plan, result, files, cancellationToken), result.Usage);
                }

                // OpenAI mode: the audio is played as the provider makes it.
                var stream = await SpeechAudioStream.StartAsync(http, command, dispatcher, cancellationToken);
                if (plan.Mode.Events)
                {
                    if (stream.Completion.IsFaulted)
                    {
                        await using (stream)
                        {
                            await stream.Completion; // failed before any event: the usual error with its status
                        }
                    }

                    return new(stream.RespondEvents(http, plan.Input));
                }

                if (stream.Relaying)
                {
                    return new(stream.RespondAudio(http, MediaTypes.Audio(plan.Mode.Format)));
                }

                await using (stream)
                {
                    var early = await stream.Completion;
                    return new(await RenderAsync(http.Request, command, plan, early, files, cancellationToken), early.Usage);
                }
            },
        }, cancellationToken);
    }

    private static async Task<Results<FileContentHttpResult, JsonHttpResult<SpeechResponse>, ServerSentEventsResult<string>, SpeechAudioResult>> RenderAsync(
        HttpRequest request, Speech command, SpeechPlan plan, SpeechSynthesized result, ModelFiles files, CancellationToken cancellationToken)
    {
        var mode = plan.Mode;
        if (!mode.Json)
        {
            return TypedResults.File(await files.ReadAsync(result.Audio.Id, cancellationToken), MediaTypes.Audio(result.Format));
        }

        string? url = null;
        string? b64 = null;
        if (mode.Inline)
        {
            b64 = Convert.ToBase64String(await files.ReadAsync(result.Audio.Id, cancellationToken));
        }
        else
        {
            url = files.Url(request, result.Audio, result.Format);
        }

        var route = command.Route;
        return TypedResults.Json(
            new SpeechResponse(
                Id: PublicIds.Speech(command.JobId),
                Created: command.Timestamp.ToUnixTimeSeconds(),
                Model: route.Model,
                Provider: route.Provider,
                Format: result.Format,
                Url: url,
                B64Json: b64,
                DurationSeconds: result.DurationSeconds > 0 ? result.DurationSeconds : null,
                Usage: new SpeechUsageResponse(result.Usage.Characters > 0 ? result.Usage.Characters : plan.Input.Length, CostEstimator.CostUsd(route, result.Usage))),
            GatewayJsonContext.Web.SpeechResponse);
    }
}

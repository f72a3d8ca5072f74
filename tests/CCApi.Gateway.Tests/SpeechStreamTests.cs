using System.Text;
using CCApi.Contracts;
using CCApi.Gateway.Http;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using StackExchange.Redis;

namespace CCApi.Gateway.Tests;

/// <summary>
/// Speech played as it is made: the audio bytes (OpenAI mode) and <c>stream_format: "sse"</c>, relayed from the pieces a
/// provider delivers progressively (the fake local speech provider publishes "FAKE-", "AUDIO-" and the format).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class SpeechStreamTests(GatewayFixture gateway)
{
    private const string Sse = ""","stream_format":"sse" """;

    /// <summary>A request body whose input is <paramref name="text"/> made unique, and that input (to find its command).</summary>
    private static (string Json, string Input) Request(string text, string extra = Sse)
    {
        var input = $"{text} {Guid.NewGuid():N}";
        return ($$"""{"model":"local/espeak-1","input":"{{input}}","voice":"alloy"{{extra}}}""", input);
    }

    private Speech Command(string input) => gateway.Providers.SpeechCommands.Values.Single(c => c.Input == input);

    private static string Decoded(IEnumerable<SseEvent> deltas) =>
        Encoding.ASCII.GetString(deltas.SelectMany(e => Convert.FromBase64String((string)e.Json["audio"]!)).ToArray());

    [Fact]
    public async Task Sse_sends_each_piece_as_a_delta_then_done_with_the_usage()
    {
        var (json, input) = Request("Hello there");
        var response = await gateway.PostJsonAsync("/v1/audio/speech", json);
        var body = await response.Content.ReadAsStringAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        body.ShouldStartWith("event: speech.audio.delta\n");
        var events = SseEvent.ParseAll(body);
        events.Select(e => (string)e.Json["type"]!).ShouldBe(["speech.audio.delta", "speech.audio.delta", "speech.audio.delta", "speech.audio.done"]);
        events.Take(3).Select(e => Encoding.ASCII.GetString(Convert.FromBase64String((string)e.Json["audio"]!))).ShouldBe(["FAKE-", "AUDIO-", "mp3"]);
        var usage = events[^1].Json["usage"]!;
        Command(input).StreamAudio.ShouldBeTrue();
        ((int)usage["input_tokens"]!).ShouldBe(Credits.CostEstimator.CountTokens(input));
        ((int)usage["output_tokens"]!).ShouldBe(0);
        ((int)usage["total_tokens"]!).ShouldBe((int)usage["input_tokens"]!);
        ((int)usage["characters"]!).ShouldBe(input.Length);
        ((decimal)usage["cost_usd"]!).ShouldBe(input.Length * 0.000015m); // local/espeak-1's demo price per character
    }

    [Fact]
    public async Task Sse_of_a_provider_that_relays_nothing_sends_the_whole_audio_then_done()
    {
        var response = await gateway.PostJsonAsync("/v1/audio/speech", Request("[no-audio-chunks] Hello", ""","stream_format":"sse","response_format":"wav" """).Json);
        var events = SseEvent.ParseAll(await response.Content.ReadAsStringAsync());

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        events.Select(e => (string)e.Json["type"]!).ShouldBe(["speech.audio.delta", "speech.audio.done"]);
        Decoded(events.Take(1)).ShouldBe("FAKE-AUDIO-wav");
    }

    [Fact]
    public async Task A_lost_piece_and_what_follows_it_come_from_the_result()
    {
        var sse = SseEvent.ParseAll(await (await gateway.PostJsonAsync("/v1/audio/speech", Request("[audio-gap] Hello").Json)).Content.ReadAsStringAsync());
        var bytes = await gateway.PostJsonAsync("/v1/audio/speech", Request("[audio-gap] Hello", "").Json);

        sse[^1].Json["type"]!.GetValue<string>().ShouldBe("speech.audio.done");
        Decoded(sse.SkipLast(1)).ShouldBe("FAKE-AUDIO-mp3");
        Encoding.ASCII.GetString(await bytes.Content.ReadAsByteArrayAsync()).ShouldBe("FAKE-AUDIO-mp3");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // an Idempotency-Key's recording tees the audio, never holds it back
    public async Task Audio_bytes_are_written_as_the_pieces_come_without_a_length(bool idempotencyKey)
    {
        gateway.Providers.ReleaseHeldChats = FakeProviders.NewRelease();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/audio/speech")
            {
                Content = new StringContent(Request("[held] Hello", ""","response_format":"opus" """).Json, Encoding.UTF8, "application/json"),
            };
            if (idempotencyKey)
            {
                request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
            }

            using var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            response.Content.Headers.ContentType!.MediaType.ShouldBe("audio/opus");
            response.Content.Headers.ContentLength.ShouldBeNull();
            await using var audio = await response.Content.ReadAsStreamAsync();
            var first = new byte[5];
            using var read = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await audio.ReadExactlyAsync(first, read.Token); // while the provider still holds its answer
            Encoding.ASCII.GetString(first).ShouldBe("FAKE-");

            gateway.Providers.ReleaseHeldChats.TrySetResult();
            using var rest = new MemoryStream();
            await audio.CopyToAsync(rest, read.Token);
            Encoding.ASCII.GetString(rest.ToArray()).ShouldBe("AUDIO-opus");
        }
        finally
        {
            gateway.Providers.ReleaseHeldChats.TrySetResult();
        }
    }

    [Fact]
    public async Task Audio_relayed_whole_needs_no_read_of_the_result()
    {
        // The answer's blob is gone (expired, say): every byte already came as pieces, so nothing is missing.
        var sse = await gateway.PostJsonAsync("/v1/audio/speech", Request("[blob-gone] Hello").Json);
        var bytes = await gateway.PostJsonAsync("/v1/audio/speech", Request("[blob-gone] Hello", "").Json);

        var events = SseEvent.ParseAll(await sse.Content.ReadAsStringAsync());
        events[^1].Json["type"]!.GetValue<string>().ShouldBe("speech.audio.done");
        Decoded(events.SkipLast(1)).ShouldBe("FAKE-AUDIO-mp3");
        Encoding.ASCII.GetString(await bytes.Content.ReadAsByteArrayAsync()).ShouldBe("FAKE-AUDIO-mp3");
        await Should.ThrowAsync<HttpRequestException>(async () => // a gap needs the blob, which is gone: the audio is cut
            await (await gateway.PostJsonAsync("/v1/audio/speech", Request("[blob-gone] [audio-gap] Hello", "").Json)).Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Audio_bytes_of_a_provider_that_relays_nothing_are_answered_whole_with_their_length()
    {
        var response = await gateway.PostJsonAsync("/v1/audio/speech", Request("[no-audio-chunks] Hello", "").Json);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentLength.ShouldBe(14);
        Encoding.ASCII.GetString(await response.Content.ReadAsByteArrayAsync()).ShouldBe("FAKE-AUDIO-mp3");
    }

    [Fact]
    public async Task Sse_ends_with_an_error_event_when_the_job_fails_after_its_audio_started()
    {
        var response = await gateway.PostJsonAsync("/v1/audio/speech", Request("[fail:502] [fail-after-audio] Hello").Json);
        var body = await response.Content.ReadAsStringAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        body.ShouldContain("event: error\n");
        var events = SseEvent.ParseAll(body);
        events[^1].Json["error"]!["code"]!.GetValue<string>().ShouldBe("provider_error");
        events.ShouldNotContain(e => e.Data.Contains("speech.audio.done", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Audio_bytes_are_cut_when_the_job_fails_after_its_audio_started()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/audio/speech")
        {
            Content = new StringContent(Request("[fail:502] [fail-after-audio] Hello", "").Json, Encoding.UTF8, "application/json"),
        };
        using var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);

        // Never a short body that ends as if whole: the connection is aborted.
        await Should.ThrowAsync<HttpRequestException>(async () => await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_job_failing_before_any_audio_answers_the_usual_error(bool sse)
    {
        var response = await gateway.PostJsonAsync("/v1/audio/speech", Request("[fail:502] Hello", sse ? Sse : "").Json);

        await GatewayFixture.ShouldBeErrorAsync(response, HttpStatusCode.BadGateway, ErrorTypes.Api, ErrorCodes.ProviderError);
    }

    [Fact]
    public async Task Json_answers_are_not_streamed()
    {
        var (request, input) = Request("Hello", ""","response_format":"b64_json" """);
        var response = await gateway.PostJsonAsync("/v1/audio/speech", request);
        var json = await GatewayFixture.ReadJsonAsync(response);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        Encoding.ASCII.GetString(Convert.FromBase64String((string)json["b64_json"]!)).ShouldBe("FAKE-AUDIO-mp3");
        Command(input).StreamAudio.ShouldBeFalse();
    }

    [Fact]
    public async Task The_audio_channel_has_no_listener_once_the_request_ended()
    {
        var (request, input) = Request("Hello");
        var response = await gateway.PostJsonAsync("/v1/audio/speech", request);
        (await response.Content.ReadAsStringAsync()).ShouldContain("speech.audio.done");
        var job = Command(input).JobId;

        (await TestInfrastructure.EventuallyAsync(async () =>
            (long)((RedisResult[])(await gateway.Redis.GetDatabase().ExecuteAsync("PUBSUB", "NUMSUB", RedisKeys.JobAudioChannel(job)))!)[1] == 0,
            TimeSpan.FromSeconds(10))).ShouldBeTrue("the gateway still listens for the audio of a request that has ended");
        gateway.Providers.SpeechCommands[job].StreamAudio.ShouldBeTrue();
    }

    [Theory]
    [InlineData("/v1/audio/speech", "audio/mpeg", "binary")]
    [InlineData("/v1/audio/speech", "text/event-stream", null)]
    [InlineData("/v1/chat/completions", "text/event-stream", null)]
    [InlineData("/v1/images/generations", "text/event-stream", null)]
    [InlineData("/v1/images/edits", "text/event-stream", null)]
    public async Task The_OpenAPI_document_lists_each_answer_of_a_model_route_beside_its_json(string path, string contentType, string? format)
    {
        var document = await gateway.OpenApiAsync();

        var content = document["paths"]![path]!["post"]!["responses"]!["200"]!["content"]!;
        content["application/json"]!["schema"]!["$ref"]!.GetValue<string>().ShouldStartWith("#/components/schemas/");
        content[contentType]!["schema"]!["type"]!.GetValue<string>().ShouldBe("string");
        (content[contentType]!["schema"]!["format"]?.GetValue<string>()).ShouldBe(format);
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("QQ==", 1)]
    [InlineData("QUI=", 2)]
    [InlineData("QUJD", 3)]
    [InlineData("QUJDRA==", 4)]
    [InlineData("QUJ", 0)]
    public void DecodedLength_is_the_length_base64_decodes_to(string base64, int length) =>
        SpeechAudioStream.DecodedLength(base64).ShouldBe(length);
}

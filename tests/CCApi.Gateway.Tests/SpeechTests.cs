namespace CCApi.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class SpeechTests(GatewayFixture gateway)
{
    [Theory]
    [InlineData(null, "mp3", "audio/mpeg")]
    [InlineData("mp3", "mp3", "audio/mpeg")]
    [InlineData("wav", "wav", "audio/wav")]
    [InlineData("opus", "opus", "audio/opus")]
    [InlineData("flac", "flac", "audio/flac")]
    [InlineData("pcm", "pcm", "audio/pcm")]
    public async Task Answers_audio_bytes_with_their_content_type_in_OpenAI_mode(string? responseFormat, string format, string contentType)
    {
        var formatJson = responseFormat is null ? "" : $",\"response_format\":\"{responseFormat}\"";

        var response = await gateway.PostJsonAsync("/v1/audio/speech",
            $$"""{"model":"local/espeak-1","input":"Hello there","voice":"alloy","speed":1.25,"stream_format":"audio"{{formatJson}}}""");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe(contentType);
        Encoding.ASCII.GetString(await response.Content.ReadAsByteArrayAsync()).ShouldBe("FAKE-AUDIO-" + format);
        var command = gateway.Providers.SpeechCommands.Values.Last(c => c.Format == format);
        command.Voice.ShouldBe("alloy");
        command.Route.OwnerId.ShouldBe(gateway.KeyId);
    }

    [Fact]
    public async Task Answers_JSON_with_a_signed_url_that_serves_the_audio_in_CCAPI_mode()
    {
        var input = "Welcome to CCAPI " + Guid.NewGuid().ToString("N");

        var response = await gateway.PostJsonAsync("/v1/audio/speech",
            $$"""{"model":"local/espeak-1","input":"{{input}}","voice":"aria","output_format":"wav","response_format":"url"}""");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var body = await GatewayFixture.ReadJsonAsync(response);
        body["id"]!.GetValue<string>().ShouldMatch("^speech_[0-9a-f]{32}$");
        body["object"]!.GetValue<string>().ShouldBe("audio.speech");
        body["created"]!.GetValue<long>().ShouldBeGreaterThan(0);
        body["model"]!.GetValue<string>().ShouldBe("local/espeak-1");
        body["provider"]!.GetValue<string>().ShouldBe("local");
        body["format"]!.GetValue<string>().ShouldBe("wav");
        body["duration_seconds"]!.GetValue<double>().ShouldBe(1.5);
        body["usage"]!["characters"]!.GetValue<int>().ShouldBe(input.Length);
        body.AsObject().ContainsKey("b64_json").ShouldBeFalse();
        var url = new Uri(body["url"]!.GetValue<string>());
        url.IsAbsoluteUri.ShouldBeTrue();
        url.AbsolutePath.ShouldStartWith("/v1/files/");
        url.AbsolutePath.ShouldEndWith(".wav");

        var file = await gateway.Anonymous.GetAsync(url.PathAndQuery);
        file.StatusCode.ShouldBe(HttpStatusCode.OK);
        file.Content.Headers.ContentType!.MediaType.ShouldBe("audio/wav");
        file.Headers.CacheControl!.Private.ShouldBeTrue();
        Encoding.ASCII.GetString(await file.Content.ReadAsByteArrayAsync()).ShouldBe("FAKE-AUDIO-wav");
    }

    [Theory]
    [InlineData("""{"output_format":"ogg","response_format":"b64_json"}""", "ogg")]
    [InlineData("""{"response_format":"b64_json"}""", "mp3")]
    public async Task Answers_JSON_with_inline_base64_audio_when_asked(string formats, string format)
    {
        var request = System.Text.Json.Nodes.JsonNode.Parse(formats)!.AsObject();
        request["model"] = "local/espeak-1";
        request["input"] = "inline";
        request["voice"] = "nova";

        var body = await GatewayFixture.ReadJsonAsync(await gateway.PostJsonAsync("/v1/audio/speech", request));

        body["format"]!.GetValue<string>().ShouldBe(format);
        body.AsObject().ContainsKey("url").ShouldBeFalse();
        Encoding.ASCII.GetString(Convert.FromBase64String(body["b64_json"]!.GetValue<string>())).ShouldBe("FAKE-AUDIO-" + format);
    }

    [Fact]
    public async Task Relays_the_adapters_400_naming_its_field()
    {
        var response = await gateway.PostJsonAsync("/v1/audio/speech", """{"model":"local/espeak-1","input":"[fail:400]","voice":"alloy"}""");

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await GatewayFixture.ReadJsonAsync(response))["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe("voice");
    }
}

using CCApi.Contracts;
using CCApi.Gateway.Api;
using CCApi.Gateway.Endpoints;
using CCApi.ServiceDefaults;

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
    public async Task Instructions_to_a_model_that_cannot_follow_them_are_refused_before_dispatch()
    {
        var input = "instructed " + Guid.NewGuid().ToString("N");

        var error = await GatewayFixture.ShouldBeErrorAsync(
            await gateway.PostJsonAsync("/v1/audio/speech", $$$"""{"model":"local/espeak-1","input":"{{{input}}}","voice":"alloy","instructions":"Speak calmly."}"""),
            HttpStatusCode.BadRequest, "invalid_request_error", "unsupported_parameter");

        error["param"]!.GetValue<string>().ShouldBe("instructions");
        error["message"]!.GetValue<string>().ShouldContain("local/espeak-1");
        gateway.Providers.SpeechCommands.Values.ShouldNotContain(c => c.Input == input); // no reservation, no adapter call
        (await gateway.PostJsonAsync("/v1/audio/speech", $$$"""{"model":"local/espeak-1","input":"{{{input}}}","voice":"alloy","instructions":"  "}"""))
            .StatusCode.ShouldBe(HttpStatusCode.OK); // blank instructions ask for nothing
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void Instructions_pass_unless_the_catalog_says_the_model_cannot_follow_them(bool? speechInstructions, bool passes)
    {
        var model = new ModelEntry
        {
            Id = "openai/gpt-4o-mini-tts", Provider = "openai", ProviderModel = "gpt-4o-mini-tts", DisplayName = "tts", Type = "audio",
            Capabilities = new ModelCapabilities { SpeechInstructions = speechInstructions },
        };
        var body = new SpeechRequestBody { Model = model.Id, Input = "hi", Voice = "alloy", Instructions = "Speak calmly." };

        if (passes)
        {
            SpeechEndpoints.Validate(body, model).Input.ShouldBe("hi");
        }
        else
        {
            Should.Throw<ApiException>(() => SpeechEndpoints.Validate(body, model)).Details!["param"].ShouldBe("instructions");
        }
    }

    [Fact]
    public async Task Relays_the_adapters_400_naming_its_field()
    {
        var response = await gateway.PostJsonAsync("/v1/audio/speech", """{"model":"local/espeak-1","input":"[fail:400]","voice":"alloy"}""");

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await GatewayFixture.ReadJsonAsync(response))["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe("voice");
    }
}

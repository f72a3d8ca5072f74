using CCApi.Emulators;
using OpenAI.Audio;
using OpenAI.Images;

namespace CCApi.EndToEnd.Tests;

/// <summary>
/// The elevenlabs and stabilityai providers end to end: client → gateway → RabbitMQ → the adapter process → its
/// provider's emulator (configured through ELEVENLABS_* / STABILITY_* as run.sh does) and back, success and failure.
/// </summary>
public sealed class SpeechAndImageProviderTests(PlatformFixture platform) : PlatformTest(platform)
{
    [Fact]
    public async Task ElevenLabs_speaks_with_a_voice_named_by_the_client_through_the_OpenAI_SDK()
    {
        Platform.ElevenLabs.Reset();

        var audio = (await Sdk.GetAudioClient("elevenlabs/eleven_turbo_v2").GenerateSpeechAsync("Welcome to CCAPI.",
            new GeneratedSpeechVoice("Rachel"), new SpeechGenerationOptions { ResponseFormat = GeneratedSpeechFormat.Mp3 })).Value.ToArray();

        audio.Length.ShouldBeGreaterThan(0);
        (audio[0] == 0xFF && (audio[1] & 0xE0) == 0xE0 || audio.AsSpan(0, 3).SequenceEqual("ID3"u8)).ShouldBeTrue("an MP3 frame or ID3 tag");
        var call = Platform.ElevenLabs.Requests.Single(r => r.Path.StartsWith("/v1/text-to-speech/", StringComparison.Ordinal));
        // Rachel's id, resolved from the name; the streaming endpoint, since the SDK takes the audio bytes as they come.
        call.Path.ShouldBe("/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream");
        var body = JsonNode.Parse(call.Body)!;
        ((string)body["model_id"]!).ShouldBe("eleven_turbo_v2");
        ((string)body["text"]!).ShouldBe("Welcome to CCAPI.");
    }

    [Fact]
    public async Task ElevenLabs_wav_comes_back_as_a_signed_url_in_the_CCAPI_json_mode()
    {
        Platform.ElevenLabs.Reset();
        using var http = Platform.CreateClient();

        using var response = await http.PostAsJsonAsync("/v1/audio/speech", new
        {
            model = "elevenlabs/eleven_turbo_v2",
            input = "Hello there",
            voice = "21m00Tcm4TlvDq8ikWAM",
            output_format = "wav",
            response_format = "url",
        });

        var raw = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, raw);
        var speech = JsonNode.Parse(raw)!;
        ((string)speech["format"]!).ShouldBe("wav");
        var url = (string)speech["url"]!;
        using var anonymous = new HttpClient();
        var wav = await anonymous.GetByteArrayAsync(url);
        wav.AsSpan(0, 4).SequenceEqual("RIFF"u8).ShouldBeTrue();
        wav.AsSpan(8, 4).SequenceEqual("WAVE"u8).ShouldBeTrue();
    }

    [Fact]
    public async Task ElevenLabs_unknown_voice_name_is_a_400_naming_the_voice()
    {
        using var http = Platform.CreateClient();

        using var response = await http.PostAsJsonAsync("/v1/audio/speech", new { model = "elevenlabs/eleven_turbo_v2", input = "Hi", voice = "Nobody In Particular" });

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var error = (await response.Content.ReadFromJsonAsync<JsonNode>())!["error"]!;
        ((string)error["details"]!["param"]!).ShouldBe("voice");
        ((string)error["message"]!).ShouldContain("Rachel");
    }

    [Fact]
    public async Task ElevenLabs_server_errors_are_retried_then_answered_502()
    {
        Platform.ElevenLabs.Reset();
        Platform.ElevenLabs.Fail(FailureMode.ServerError);
        using var http = Platform.CreateClient();

        using var response = await http.PostAsJsonAsync("/v1/audio/speech", new { model = "elevenlabs/eleven_turbo_v2", input = "Hi", voice = "21m00Tcm4TlvDq8ikWAM" });

        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        ((string)(await response.Content.ReadFromJsonAsync<JsonNode>())!["error"]!["code"]!).ShouldBe("provider_error");
    }

    [Fact]
    public async Task StabilityAI_text_to_image_through_the_OpenAI_SDK_maps_size_and_count()
    {
        Platform.StabilityAI.Reset();

        var images = (await Sdk.GetImageClient("stabilityai/stable-diffusion-xl-1024-v1-0").GenerateImagesAsync("a lighthouse at dusk", 2,
            new ImageGenerationOptions { ResponseFormat = GeneratedImageFormat.Bytes, Size = new GeneratedImageSize(1216, 832) })).Value;

        images.Count.ShouldBe(2);
        images.ShouldAllBe(i => i.ImageBytes.ToArray()[0] == 0x89 && i.ImageBytes.ToArray()[1] == (byte)'P');
        var call = Platform.StabilityAI.Requests.ShouldHaveSingleItem();
        call.Path.ShouldBe("/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image");
        call.Authorization.ShouldBe("Bearer " + Platform.StabilityAI.ApiKey);
        var body = JsonNode.Parse(call.Body)!;
        ((int)body["samples"]!).ShouldBe(2);
        ((int)body["width"]!).ShouldBe(1216);
        ((int)body["height"]!).ShouldBe(832);
    }

    [Fact]
    public async Task StabilityAI_image_to_image_from_CCAPI_contents_sends_the_init_image()
    {
        Platform.StabilityAI.Reset();
        using var http = Platform.CreateClient();
        var init = Convert.ToBase64String(PngImage.Solid(64, 64, 200, 120, 40));

        using var response = await http.PostAsJsonAsync("/v1/images/generate", new
        {
            model = "stabilityai/stable-diffusion-xl-1024-v1-0",
            contents = new object[] { new { text = "make it autumn", image = new { data = init, mime_type = "image/png" } } },
            parameters = new { width = 1024, height = 1024, seed = 42, negative_prompt = "blurry", strength = 0.6 },
        });

        var raw = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, raw);
        var body = JsonNode.Parse(raw)!;
        ((string)body["execution"]!["operation"]!).ShouldBe("image-to-image");
        body["data"]!.AsArray().Count.ShouldBe(1);
        var call = Platform.StabilityAI.Requests.ShouldHaveSingleItem();
        call.Path.ShouldBe("/v1/generation/stable-diffusion-xl-1024-v1-0/image-to-image");
    }

    [Fact]
    public async Task StabilityAI_size_it_cannot_make_is_a_400_naming_the_size_before_any_upstream_call()
    {
        Platform.StabilityAI.Reset();
        using var http = Platform.CreateClient();

        using var response = await http.PostAsJsonAsync("/v1/images/generations", new { model = "stabilityai/stable-diffusion-xl-1024-v1-0", prompt = "x", size = "512x512" });

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        ((string)(await response.Content.ReadFromJsonAsync<JsonNode>())!["error"]!["details"]!["param"]!).ShouldBe("size");
        Platform.StabilityAI.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task StabilityAI_upstream_that_stays_slow_ends_in_504()
    {
        Platform.StabilityAI.Reset();
        Platform.StabilityAI.Fail(FailureMode.Slow, delay: TimeSpan.FromSeconds(30)); // longer than the adapter's 3 s per attempt
        using var http = Platform.CreateClient();

        using var response = await http.PostAsJsonAsync("/v1/images/generations", new { model = "stabilityai/stable-diffusion-xl-1024-v1-0", prompt = "x", size = "1024x1024" });

        response.StatusCode.ShouldBe(HttpStatusCode.GatewayTimeout);
        ((string)(await response.Content.ReadFromJsonAsync<JsonNode>())!["error"]!["code"]!).ShouldBe("provider_timeout");
    }
}

using System.Text.Json;
using CCApi.Adapters.OpenAI.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Emulators.OpenAI;
using CCApi.Storage;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace CCApi.Adapters.OpenAI.Tests.Integration;

/// <summary>Images and speech: bytes stored in the blob store, usage priced, provider errors mapped.</summary>
public sealed class ImageAndSpeechTests(OpenAIAdapterHost host) : IClassFixture<OpenAIAdapterHost>
{
    private IBlobStore Blobs => host.Services.GetRequiredService<IBlobStore>();

    [Fact]
    public async Task Stores_b64_json_images_as_PNG_blobs_and_prices_them_per_image()
    {
        host.Emulator.Reset();

        var response = await host.AskAsync<GenerateImage, ImageGenerated>(host.Image("gpt-image-1", n: 2), JobKind.Image);

        response.Is(out Response<ImageGenerated>? generated).ShouldBeTrue();
        generated!.Message.Images.Count.ShouldBe(2);
        generated.Message.Usage.Images.ShouldBe(2);
        generated.Message.Usage.Cost.ShouldBe(0.08m);
        generated.Message.RevisedPrompt.ShouldBe("emulated: a lighthouse at dusk");
        foreach (var image in generated.Message.Images)
        {
            var blob = (await Blobs.GetAsync(image.Blob.Id)).ShouldNotBeNull();
            blob.ContentType.ShouldBe("image/png");
            blob.Bytes[..4].ShouldBe(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' });
        }

        using var body = JsonDocument.Parse(host.Emulator.Requests.ShouldHaveSingleItem().Body);
        body.RootElement.GetProperty("size").GetString().ShouldBe("1024x1024");
        body.RootElement.GetProperty("n").GetInt32().ShouldBe(2);
        body.RootElement.TryGetProperty("response_format", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task Carries_gpt_images_token_usage_and_its_account_of_the_images_with_the_per_image_price()
    {
        host.Emulator.Reset();

        var response = await host.AskAsync<GenerateImage, ImageGenerated>(host.Image("gpt-image-1") with { Quality = "hd", Background = "transparent" }, JobKind.Image);

        response.Is(out Response<ImageGenerated>? generated).ShouldBeTrue();
        var usage = generated!.Message.Usage;
        (usage.PromptTokens, usage.CompletionTokens, usage.TotalTokens).ShouldBe((50, 272, 322));
        usage.Cost.ShouldBe(0.04m); // still priced per image
        generated.Message.Output.ShouldBe(new ImageOutput { Size = "1024x1024", Quality = "high", Background = "transparent", OutputFormat = "png" });

        var dallE = await host.AskAsync<GenerateImage, ImageGenerated>(host.Image("dall-e-3"), JobKind.Image);
        dallE.Is(out Response<ImageGenerated>? plain).ShouldBeTrue();
        plain!.Message.Output.ShouldBeNull(); // dall-e says nothing of the kind
        plain.Message.Usage.TotalTokens.ShouldBe(0);
    }

    [Fact]
    public async Task Asks_dall_e_models_for_b64_json_and_stores_the_image()
    {
        host.Emulator.Reset();

        var response = await host.AskAsync<GenerateImage, ImageGenerated>(host.Image("dall-e-3"), JobKind.Image);

        response.Is(out Response<ImageGenerated>? generated).ShouldBeTrue();
        using var body = JsonDocument.Parse(host.Emulator.Requests.ShouldHaveSingleItem().Body);
        body.RootElement.GetProperty("response_format").GetString().ShouldBe("b64_json");
        (await Blobs.GetAsync(generated!.Message.Images[0].Blob.Id)).ShouldNotBeNull().ContentType.ShouldBe("image/png");
    }

    [Fact]
    public async Task Asks_gpt_image_for_its_output_options_and_stores_the_image_in_the_format_it_answers()
    {
        host.Emulator.Reset();

        var response = await host.AskAsync<GenerateImage, ImageGenerated>(
            host.Image("gpt-image-1") with { OutputFormat = "webp", OutputCompression = 80, Background = "transparent", Moderation = "low" }, JobKind.Image);

        response.Is(out Response<ImageGenerated>? generated).ShouldBeTrue();
        (await Blobs.GetAsync(generated!.Message.Images[0].Blob.Id)).ShouldNotBeNull().ContentType.ShouldBe("image/webp");
        using var body = JsonDocument.Parse(host.Emulator.Requests.ShouldHaveSingleItem().Body);
        body.RootElement.GetProperty("output_format").GetString().ShouldBe("webp");
        body.RootElement.GetProperty("output_compression").GetInt32().ShouldBe(80);
        body.RootElement.GetProperty("background").GetString().ShouldBe("transparent");
        body.RootElement.GetProperty("moderation").GetString().ShouldBe("low");
    }

    [Fact]
    public async Task Answers_400_for_a_transparent_jpeg_with_the_providers_message()
    {
        host.Emulator.Reset();

        var response = await host.AskAsync<GenerateImage, ImageGenerated>(host.Image("gpt-image-1") with { OutputFormat = "jpeg", Background = "transparent" }, JobKind.Image);

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Status.ShouldBe(400);
        failed.Message.Error.Message.ShouldContain("png or webp");
    }

    [Fact]
    public async Task Refuses_gpt_image_options_for_dall_e_without_calling_the_provider()
    {
        await host.RefusedAsync(host.Image("dall-e-3") with { OutputFormat = "jpeg" }, "output_format");
        await host.RefusedAsync(host.Image("dall-e-2") with { Background = "transparent" }, "background");
    }

    [Theory]
    [InlineData("gpt-image-1", "hd", "high")]
    [InlineData("gpt-image-1", "standard", "medium")]
    [InlineData("gpt-image-1", "low", "low")]
    [InlineData("dall-e-3", "high", "hd")]
    [InlineData("dall-e-3", "medium", "standard")]
    [InlineData("dall-e-3", "auto", null)]
    [InlineData("dall-e-2", "standard", null)]
    public async Task Sends_each_model_the_nearest_quality_it_takes(string model, string asked, string? sent)
    {
        host.Emulator.Reset();

        // The emulator refuses another family's quality, as OpenAI does ("Invalid value: 'hd'. Supported values are: …").
        var response = await host.AskAsync<GenerateImage, ImageGenerated>(host.Image(model) with { Quality = asked }, JobKind.Image);

        response.Is(out Response<ImageGenerated>? _).ShouldBeTrue();
        using var body = JsonDocument.Parse(host.Emulator.Requests.ShouldHaveSingleItem().Body);
        (body.RootElement.TryGetProperty("quality", out var quality) ? quality.GetString() : null).ShouldBe(sent);
    }

    [Fact]
    public async Task Refuses_a_quality_dall_e_2_cannot_make_without_calling_the_provider() =>
        await host.RefusedAsync(host.Image("dall-e-2") with { Quality = "hd" }, "quality");

    [Fact]
    public async Task Sends_style_to_dall_e_3_only_and_refuses_it_for_the_others_without_calling_the_provider()
    {
        host.Emulator.Reset();

        var response = await host.AskAsync<GenerateImage, ImageGenerated>(host.Image("dall-e-3") with { Style = "natural" }, JobKind.Image);

        response.Is(out Response<ImageGenerated>? _).ShouldBeTrue();
        using var body = JsonDocument.Parse(host.Emulator.Requests.ShouldHaveSingleItem().Body);
        body.RootElement.GetProperty("style").GetString().ShouldBe("natural");
        await host.RefusedAsync(host.Image("gpt-image-1") with { Style = "vivid" }, "style");
        await host.RefusedAsync(host.Image("dall-e-2") with { Style = "vivid" }, "style");
    }

    [Fact]
    public async Task Fetches_and_stores_images_the_provider_returns_as_urls()
    {
        host.Emulator.Reset();
        host.Emulator.AnswerImagesWithUrls = true;

        var response = await host.AskAsync<GenerateImage, ImageGenerated>(host.Image("gpt-image-1"), JobKind.Image);

        response.Is(out Response<ImageGenerated>? generated).ShouldBeTrue();
        var blob = (await Blobs.GetAsync(generated!.Message.Images[0].Blob.Id)).ShouldNotBeNull();
        blob.ContentType.ShouldBe("image/png");
        blob.Bytes[..4].ShouldBe(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' });
    }

    [Theory]
    [InlineData("dall-e-3", "16:9", 1024, 576, "1792x1024")]
    [InlineData("dall-e-3", "9:16", 576, 1024, "1024x1792")]
    [InlineData("gpt-image-1", "2:3", 680, 1024, "1024x1536")]
    [InlineData("gpt-image-1", "4:3", 1024, 768, "1536x1024")]
    [InlineData("dall-e-2", "16:9", 1024, 576, "1024x1024")]
    [InlineData("gpt-image-1", null, 1536, 1024, "1536x1024")]
    public async Task A_bare_aspect_ratio_gets_the_models_size_of_the_nearest_shape(string model, string? aspectRatio, int width, int height, string sent)
    {
        host.Emulator.Reset();

        // CCAPI's route turns aspect_ratio into a 1024-pixel long side, which OpenAI's models do not make.
        var response = await host.AskAsync<GenerateImage, ImageGenerated>(host.Image(model) with { AspectRatio = aspectRatio, Width = width, Height = height }, JobKind.Image);

        response.Is(out Response<ImageGenerated>? _).ShouldBeTrue();
        using var body = JsonDocument.Parse(host.Emulator.Requests.ShouldHaveSingleItem().Body);
        body.RootElement.GetProperty("size").GetString().ShouldBe(sent);
    }

    [Fact]
    public async Task Refuses_a_size_the_model_does_not_make_without_calling_the_provider()
    {
        (await host.RefusedAsync(host.Image("gpt-image-1") with { Width = 640, Height = 480 }, "size")).Message.ShouldContain("1024x1024, 1536x1024, 1024x1536");
        await host.RefusedAsync(host.Image("dall-e-3") with { AspectRatio = "16:9", Width = 800, Height = 800 }, "size"); // explicit pixels of another shape
    }

    [Fact]
    public async Task Answers_400_naming_size_when_the_provider_rejects_the_dimensions()
    {
        host.Emulator.Reset();

        // A model passed through to an OpenAI-compatible server: its sizes are the server's to judge.
        var response = await host.AskAsync<GenerateImage, ImageGenerated>(host.Image("flux-dev") with { Width = 640, Height = 480 }, JobKind.Image);

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Status.ShouldBe(400);
        failed.Message.Error.Details!["param"].ShouldBe("size");
        failed.Message.Error.Message.ShouldContain("640x480");
    }

    [Fact]
    public async Task Answers_400_for_an_edit_without_an_input_image_without_calling_the_provider()
    {
        await host.RefusedAsync(host.Image() with { Operation = "image-to-image" }, "image");
    }

    [Fact]
    public async Task Answers_502_when_the_image_response_is_malformed()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.Malformed, times: 1);

        var response = await host.AskAsync<GenerateImage, ImageGenerated>(host.Image(), JobKind.Image);

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Status.ShouldBe(502);
    }

    [Fact]
    public async Task Stores_speech_audio_with_its_content_type_and_prices_characters()
    {
        host.Emulator.Reset();

        var response = await host.AskAsync<Speech, SpeechSynthesized>(host.Speech("Hello there", "wav", "nova") with { Speed = 1.25 }, JobKind.Speech);

        response.Is(out Response<SpeechSynthesized>? synthesized).ShouldBeTrue();
        synthesized!.Message.Format.ShouldBe("wav");
        synthesized.Message.Usage.Characters.ShouldBe(11);
        synthesized.Message.Usage.Cost.ShouldBe(11 * 0.000015m);
        var blob = (await Blobs.GetAsync(synthesized.Message.Audio.Id)).ShouldNotBeNull();
        blob.ContentType.ShouldBe("audio/wav");
        blob.Bytes.ShouldBe(AudioSamples.For("wav")); // the provider's bytes, stored untouched
        using var body = JsonDocument.Parse(host.Emulator.Requests.ShouldHaveSingleItem().Body);
        body.RootElement.GetProperty("input").GetString().ShouldBe("Hello there");
        body.RootElement.GetProperty("voice").GetString().ShouldBe("nova");
        body.RootElement.GetProperty("speed").GetDouble().ShouldBe(1.25);
        body.RootElement.GetProperty("model").GetString().ShouldBe("tts-1");
    }

    [Fact]
    public async Task Answers_400_naming_response_format_for_a_format_OpenAI_cannot_produce()
    {
        await host.RefusedAsync(host.Speech(format: "ogg"), "response_format");
    }

    [Fact]
    public async Task Answers_400_with_the_providers_message_for_an_unknown_voice()
    {
        host.Emulator.Reset();

        var response = await host.AskAsync<Speech, SpeechSynthesized>(host.Speech(voice: "robot"), JobKind.Speech);

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Status.ShouldBe(400);
        failed.Message.Error.Message.ShouldContain("robot");
        failed.Message.Error.Details!["param"].ShouldBe("voice");
    }
}

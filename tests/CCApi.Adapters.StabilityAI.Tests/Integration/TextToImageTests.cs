using System.Text.Json;
using CCApi.Adapters.StabilityAI.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators.StabilityAI;

namespace CCApi.Adapters.StabilityAI.Tests.Integration;

/// <summary>Text-to-image through RabbitMQ against the emulator: the documented request reaches it, PNGs and seeds come back priced.</summary>
public sealed class TextToImageTests(StabilityAIAdapterHost host) : IClassFixture<StabilityAIAdapterHost>
{
    [Fact]
    public async Task Responds_ImageGenerated_with_PNG_blobs_their_seeds_and_usage_priced_per_image()
    {
        host.Emulator.Reset();

        var generated = await host.GeneratedAsync(host.TextToImage(n: 2) with { Seed = 1234 });

        generated.Images.Count.ShouldBe(2);
        generated.Images.Select(i => i.Seed).ShouldBe([1234L, 1235L]);
        generated.Operation.ShouldBe("text-to-image");
        generated.Usage.Images.ShouldBe(2);
        generated.Usage.Cost.ShouldBe(0.012m);
        generated.Usage.Currency.ShouldBe("USD");
        foreach (var image in generated.Images)
        {
            var blob = (await host.Blobs.GetAsync(image.Blob.Id)).ShouldNotBeNull();
            blob.ContentType.ShouldBe("image/png");
            image.Blob.ContentType.ShouldBe("image/png");
            image.Blob.Length.ShouldBe(blob.Bytes.Length);
            blob.Bytes[..8].ShouldBe(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A });
            PngWidthHeight(blob.Bytes).ShouldBe((1024, 1024));
        }
    }

    [Fact]
    public async Task Sends_the_platform_key_as_a_bearer_token_to_the_engines_text_to_image_endpoint()
    {
        host.Emulator.Reset();

        await host.GeneratedAsync(host.TextToImage());

        var request = host.Emulator.Requests.ShouldHaveSingleItem();
        request.Path.ShouldBe("/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image");
        request.Authorization.ShouldBe("Bearer " + host.Emulator.ApiKey);
    }

    [Fact]
    public async Task Maps_the_CCAPI_parameters_onto_the_body_the_provider_receives()
    {
        host.Emulator.Reset();
        var command = host.TextToImage("a fox in the snow", n: 3, width: 832, height: 1216) with
        {
            Seed = 77, Steps = 25, GuidanceScale = 9, NegativePrompt = "blurry", Style = "photographic",
        };

        var generated = await host.GeneratedAsync(command);

        using var body = JsonDocument.Parse(host.Emulator.Requests.ShouldHaveSingleItem().Body);
        var root = body.RootElement;
        root.GetProperty("text_prompts")[0].GetProperty("text").GetString().ShouldBe("a fox in the snow");
        root.GetProperty("text_prompts")[1].GetProperty("text").GetString().ShouldBe("blurry");
        root.GetProperty("text_prompts")[1].GetProperty("weight").GetDouble().ShouldBe(-1);
        root.GetProperty("samples").GetInt32().ShouldBe(3);
        root.GetProperty("width").GetInt32().ShouldBe(832);
        root.GetProperty("height").GetInt32().ShouldBe(1216);
        root.GetProperty("seed").GetInt64().ShouldBe(77);
        root.GetProperty("steps").GetInt32().ShouldBe(25);
        root.GetProperty("cfg_scale").GetDouble().ShouldBe(9);
        root.GetProperty("style_preset").GetString().ShouldBe("photographic");
        PngWidthHeight((await host.Blobs.GetAsync(generated.Images[0].Blob.Id))!.Bytes).ShouldBe((832, 1216));
    }

    [Fact]
    public async Task Generates_the_SDXL_size_of_the_requested_aspect_ratio()
    {
        host.Emulator.Reset();

        var generated = await host.GeneratedAsync(host.TextToImage(width: 1024, height: 576) with { AspectRatio = "16:9" });

        PngWidthHeight((await host.Blobs.GetAsync(generated.Images[0].Blob.Id))!.Bytes).ShouldBe((1344, 768));
    }

    [Fact]
    public async Task Answers_400_naming_size_with_the_allowed_sizes_without_calling_the_provider()
    {
        host.Emulator.Reset();

        var error = await host.FailedAsync(host.TextToImage(width: 512, height: 512));

        error.Status.ShouldBe(400);
        error.Type.ShouldBe("invalid_request_error");
        error.Details!["param"].ShouldBe("size");
        error.Message.ShouldContain("512x512");
        error.Message.ShouldContain("1344x768");
        host.Emulator.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task Answers_400_with_the_providers_message_when_it_refuses_the_prompt()
    {
        host.Emulator.Reset();

        var error = await host.FailedAsync(host.TextToImage($"a sign saying {StabilityAIEmulator.FilteredWord}"));

        error.Status.ShouldBe(400);
        error.Message.ShouldContain("One or more prompts contains filtered words.");
        error.Details!["param"].ShouldBe("prompt");
        error.Details["provider_code"].ShouldBe("invalid_prompts");
        host.Emulator.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Answers_400_naming_the_engine_the_provider_does_not_have()
    {
        host.Emulator.Reset();

        var error = await host.FailedAsync(host.TextToImage() with { Route = host.Route("no-such-engine") });

        error.Status.ShouldBe(400);
        error.Message.ShouldContain("no-such-engine");
        error.Details!["provider_code"].ShouldBe("not_found");
        error.Details["upstream_status"].ShouldBe("404");
    }

    [Fact]
    public async Task Answers_400_content_policy_violation_when_the_provider_filters_the_result()
    {
        host.Emulator.Reset();

        var error = await host.FailedAsync(host.TextToImage($"something to {StabilityAIEmulator.BlurredWord}", n: 2));

        error.Status.ShouldBe(400);
        error.Code.ShouldBe("content_policy_violation");
        error.Message.ShouldContain("content policy");
        error.Details!["finish_reason"].ShouldBe("CONTENT_FILTERED");
        host.Emulator.Requests.Count.ShouldBe(1); // not retried: the same prompt would be filtered again
    }

    [Fact]
    public async Task Answers_502_when_the_provider_reports_a_generation_error()
    {
        host.Emulator.Reset();

        var error = await host.FailedAsync(host.TextToImage($"please {StabilityAIEmulator.ErrorWord}"));

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_error");
        error.Details!["finish_reason"].ShouldBe("ERROR");
    }

    private static (int Width, int Height) PngWidthHeight(byte[] png) =>
        (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
}

using CCApi.Adapters.StabilityAI.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Emulators.StabilityAI;

namespace CCApi.Adapters.StabilityAI.Tests.Integration;

/// <summary>
/// Inpainting through Stability's v1 …/image-to-image/masking: the init image and a mask (white = repaint) go up as
/// multipart files; a missing or mismatched mask is a 400 naming it, before any generation call.
/// </summary>
public sealed class MaskingTests(StabilityAIAdapterHost host) : IClassFixture<StabilityAIAdapterHost>
{
    private static readonly byte[] Input = PngImage.Solid(1024, 1024, 10, 20, 30);
    private static readonly byte[] Mask = PngImage.Solid(1024, 1024, 255, 255, 255);

    private async Task<GenerateImage> InpaintingAsync(byte[] image, byte[]? mask) => host.TextToImage("a red balloon in the sky") with
    {
        Operation = "inpainting",
        Inputs = mask is null
            ? [new ImageInput { Blob = await host.Blobs.PutAsync(image, "image/png"), Field = "contents[0].image" }]
            :
            [
                new ImageInput { Blob = await host.Blobs.PutAsync(image, "image/png"), Field = "contents[0].image" },
                new ImageInput { Blob = await host.Blobs.PutAsync(mask, "image/png"), IsMask = true, Field = "contents[0].mask" },
            ],
    };

    [Fact]
    public async Task Uploads_the_init_image_and_the_white_mask_to_the_masking_endpoint()
    {
        host.Emulator.Reset();

        var generated = await host.GeneratedAsync(await InpaintingAsync(Input, Mask) with { Seed = 7, NumImages = 2 });

        host.Emulator.Requests.ShouldHaveSingleItem().Path.ShouldBe("/v1/generation/stable-diffusion-xl-1024-v1-0/image-to-image/masking");
        var form = host.Emulator.Forms.ShouldHaveSingleItem();
        ((byte[])form["init_image"]).ShouldBe(Input);
        ((byte[])form["mask_image"]).ShouldBe(Mask);
        form["mask_image.content_type"].ShouldBe("image/png");
        form["mask_source"].ShouldBe("MASK_IMAGE_WHITE");
        form["text_prompts[0][text]"].ShouldBe("a red balloon in the sky");
        form["samples"].ShouldBe("2");
        form.ContainsKey("init_image_mode").ShouldBeFalse();
        form.ContainsKey("image_strength").ShouldBeFalse();
        generated.Operation.ShouldBe("inpainting");
        generated.Images.Select(i => i.Seed).ShouldBe([7L, 8L]);
        PngImage.SizeOf((await host.Blobs.GetAsync(generated.Images[0].Blob.Id)).ShouldNotBeNull().Bytes).ShouldBe((1024, 1024));
    }

    [Fact]
    public async Task Inpainting_without_a_mask_is_a_400_naming_mask_without_calling_the_provider()
    {
        await host.RefusedAsync(await InpaintingAsync(Input, mask: null), "mask");
    }

    [Fact]
    public async Task A_mask_of_another_size_is_a_400_naming_it_without_calling_the_provider()
    {
        var error = await host.RefusedAsync(await InpaintingAsync(Input, PngImage.Solid(512, 512, 255, 255, 255)), "contents[0].mask");

        error.Message.ShouldContain("1024x1024");
    }

    [Fact]
    public async Task The_emulator_refuses_a_masking_request_without_mask_image_as_Stability_documents()
    {
        host.Emulator.Reset();
        using var http = new HttpClient { BaseAddress = new Uri(host.Emulator.Origin) };
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Input), "init_image", "init.png" },
            { new StringContent("MASK_IMAGE_BLACK"), "mask_source" },
            { new StringContent("x"), "text_prompts[0][text]" },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/generation/stable-diffusion-xl-1024-v1-0/image-to-image/masking") { Content = form };
        request.Headers.Authorization = new("Bearer", StabilityAIEmulator.DefaultApiKey);
        request.Headers.Accept.ParseAdd("application/json");

        using var response = await http.SendAsync(request);

        ((int)response.StatusCode).ShouldBe(400);
        (await response.Content.ReadAsStringAsync()).ShouldContain("mask_image: is required when mask_source is MASK_IMAGE_BLACK");
    }

    [Fact]
    public async Task A_provider_500_on_masking_is_retried_and_then_a_502()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.ServerError);

        var error = await host.FailedAsync(await InpaintingAsync(Input, Mask));

        error.Status.ShouldBe(502);
        host.GenerationCalls.ShouldBe(3); // MaxRetries = 2, the multipart body rebuilt for every attempt
    }
}

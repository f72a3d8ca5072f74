using System.ClientModel;
using CCApi.Emulators;
using OpenAI.Images;

namespace CCApi.EndToEnd.Tests;

/// <summary>
/// Image edits through the real processes: the official OpenAI SDK's images.edit against the local adapter (no keys)
/// and the OpenAI adapter (→ the emulator's /v1/images/edits), and inpainting from /images/generate contents with a
/// mask to Stability's …/image-to-image/masking.
/// </summary>
public sealed class ImageEditEndToEndTests(PlatformFixture platform) : PlatformTest(platform)
{
    private static readonly byte[] Image = PngImage.Solid(512, 512, 40, 80, 120);
    private static readonly byte[] Mask = PngImage.Transparent(512, 512);

    [Fact]
    public async Task The_OpenAI_SDK_edits_an_image_with_a_mask_on_the_local_model()
    {
        GeneratedImage edited = await Sdk.GetImageClient("local/pixel-1").GenerateImageEditAsync(
            new MemoryStream(Image), "image.png", "paint a door", new MemoryStream(Mask), "mask.png",
            new ImageEditOptions { Size = GeneratedImageSize.W512xH512, ResponseFormat = GeneratedImageFormat.Bytes });

        var bytes = edited.ImageBytes.ToArray();
        PngImage.IsPng(bytes).ShouldBeTrue();
        PngImage.SizeOf(bytes).ShouldBe((512, 512));
    }

    [Fact]
    public async Task The_OpenAI_SDK_edits_reach_the_providers_images_edits_once()
    {
        Platform.OpenAI.Reset();

        GeneratedImage edited = await Sdk.GetImageClient("openai/gpt-image-1").GenerateImageEditAsync(
            new MemoryStream(PngImage.Solid(1024, 1024, 1, 2, 3)), "image.png", "add a moon", new MemoryStream(PngImage.Transparent(1024, 1024)), "mask.png",
            new ImageEditOptions { Size = GeneratedImageSize.W1024xH1024, ResponseFormat = GeneratedImageFormat.Uri });

        edited.ImageUri.ShouldNotBeNull();
        Platform.OpenAI.Count("/v1/images/edits").ShouldBe(1);
    }

    [Fact]
    public async Task The_OpenAI_SDK_makes_variations_on_the_local_model_and_through_dall_e_2s_images_variations()
    {
        Platform.OpenAI.Reset();

        GeneratedImageCollection local = await Sdk.GetImageClient("local/pixel-1").GenerateImageVariationsAsync(
            new MemoryStream(Image), "image.png", 2, new ImageVariationOptions { Size = GeneratedImageSize.W256xH256, ResponseFormat = GeneratedImageFormat.Bytes });
        GeneratedImage dallE2 = await Sdk.GetImageClient("openai/dall-e-2").GenerateImageVariationAsync(
            new MemoryStream(Image), "image.png", new ImageVariationOptions { Size = GeneratedImageSize.W512xH512, ResponseFormat = GeneratedImageFormat.Uri });

        local.Count.ShouldBe(2);
        local.Select(i => PngImage.SizeOf(i.ImageBytes.ToArray())).ShouldBe([(256, 256), (256, 256)]);
        local[0].ImageBytes.ToArray().ShouldNotBe(local[1].ImageBytes.ToArray(), "each variation is its own image");
        dallE2.ImageUri.ShouldNotBeNull();
        var call = Platform.OpenAI.Requests.ShouldHaveSingleItem();
        call.Path.ShouldBe("/v1/images/variations"); // the emulator refuses a prompt or any field OpenAI's variations lack
        call.Body.ShouldContain("\"size\":\"512x512\"");
    }

    [Fact]
    public async Task A_model_without_inpainting_answers_400_before_any_provider_call()
    {
        Platform.OpenAI.Reset();

        var error = await Should.ThrowAsync<ClientResultException>(() => Sdk.GetImageClient("openai/dall-e-3").GenerateImageEditAsync(
            new MemoryStream(Image), "image.png", "paint a door", new MemoryStream(Mask), "mask.png"));

        error.Status.ShouldBe(400);
        Platform.OpenAI.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task Contents_with_a_mask_inpaint_through_Stabilitys_masking_endpoint()
    {
        Platform.StabilityAI.Reset();
        using var http = Platform.CreateClient();
        var image = Convert.ToBase64String(PngImage.Solid(1024, 1024, 10, 20, 30));
        var mask = Convert.ToBase64String(PngImage.Solid(1024, 1024, 255, 255, 255));

        using var response = await http.PostAsJsonAsync("/v1/images/generate", new
        {
            model = "stabilityai/stable-diffusion-xl-1024-v1-0",
            contents = new object[]
            {
                new { text = "a red balloon" },
                new { image = new { data = image, mime_type = "image/png" }, mask = new { data = mask, mime_type = "image/png" } },
            },
        });

        var body = await response.Content.ReadFromJsonAsync<JsonNode>();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body?.ToJsonString());
        body!["execution"]!["operation"]!.GetValue<string>().ShouldBe("inpainting");
        Platform.StabilityAI.Requests.ShouldNotBeEmpty(); // (a slow attempt on a loaded machine may be retried)
        Platform.StabilityAI.Requests.ShouldAllBe(r => r.Path == "/v1/generation/stable-diffusion-xl-1024-v1-0/image-to-image/masking");
    }
}

using System.Text;
using CCApi.Adapters.StabilityAI.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Emulators.StabilityAI;

namespace CCApi.Adapters.StabilityAI.Tests.Integration;

/// <summary>Image-to-image: the one input image (blob store or URL) goes up as the multipart init_image; bad inputs are 400s before any generation call.</summary>
public sealed class ImageToImageTests(StabilityAIAdapterHost host) : IClassFixture<StabilityAIAdapterHost>
{
    private static readonly byte[] Input = PngImage.Solid(896, 1152, 10, 20, 30);

    [Fact]
    public async Task Uploads_a_stored_input_image_as_init_image_with_the_strength_inverted()
    {
        host.Emulator.Reset();
        var blob = await host.Blobs.PutAsync(Input, "image/png");
        var command = host.ImageToImage(new ImageInput { Blob = blob, MimeType = "image/png" }) with
        {
            Strength = 0.8, NegativePrompt = "daylight", Seed = 5, Steps = 40, GuidanceScale = 12, NumImages = 2,
        };

        var generated = await host.GeneratedAsync(command);

        host.Emulator.Requests.ShouldHaveSingleItem().Path.ShouldBe("/v1/generation/stable-diffusion-xl-1024-v1-0/image-to-image");
        var form = host.Emulator.Forms.ShouldHaveSingleItem();
        ((byte[])form["init_image"]).ShouldBe(Input);
        form["init_image.content_type"].ShouldBe("image/png");
        form["init_image_mode"].ShouldBe("IMAGE_STRENGTH");
        form["image_strength"].ShouldBe("0.2");
        form["text_prompts[0][text]"].ShouldBe("the same harbour at night");
        form["text_prompts[0][weight]"].ShouldBe("1");
        form["text_prompts[1][text]"].ShouldBe("daylight");
        form["text_prompts[1][weight]"].ShouldBe("-1");
        form["samples"].ShouldBe("2");
        form["seed"].ShouldBe("5");
        form["steps"].ShouldBe("40");
        form["cfg_scale"].ShouldBe("12");
        generated.Operation.ShouldBe("image-to-image");
        generated.Images.Select(i => i.Seed).ShouldBe([5L, 6L]);
        generated.Usage.Images.ShouldBe(2);
        var output = (await host.Blobs.GetAsync(generated.Images[0].Blob.Id)).ShouldNotBeNull();
        PngImage.SizeOf(output.Bytes).ShouldBe((896, 1152)); // the output keeps the input image's size
    }

    [Fact]
    public async Task Fetches_an_input_image_given_by_URL_and_uploads_it()
    {
        host.Emulator.Reset();
        var url = host.Emulator.HostFile(Input);

        var generated = await host.GeneratedAsync(host.ImageToImage(new ImageInput { Url = url }));

        generated.Images.ShouldHaveSingleItem();
        ((byte[])host.Emulator.Forms.ShouldHaveSingleItem()["init_image"]).ShouldBe(Input);
        host.Emulator.Forms.Single().ContainsKey("image_strength").ShouldBeFalse(); // no strength: the provider's default
    }

    [Fact]
    public async Task Answers_400_naming_contents_when_the_input_URL_cannot_be_fetched()
    {
        var error = await host.RefusedAsync(host.ImageToImage(new ImageInput { Url = host.Emulator.Origin + "/_emulator/files/missing" }), "contents");

        error.Message.ShouldContain("404");
    }

    [Fact]
    public async Task Answers_400_naming_contents_when_the_uploaded_image_has_expired()
    {
        var gone = new BlobRef { Id = Guid.NewGuid().ToString("N"), ContentType = "image/png", Length = 10 };

        var error = await host.RefusedAsync(host.ImageToImage(new ImageInput { Blob = gone }), "contents");

        error.Message.ShouldContain("expired");
    }

    [Fact]
    public async Task Answers_400_naming_contents_when_the_input_is_not_an_image()
    {
        var blob = await host.Blobs.PutAsync(Encoding.UTF8.GetBytes("certainly not an image"), "image/png");

        await host.RefusedAsync(host.ImageToImage(new ImageInput { Blob = blob }), "contents");
    }

    [Fact]
    public async Task Answers_400_naming_contents_for_a_GIF_which_the_provider_does_not_take()
    {
        var blob = await host.Blobs.PutAsync(Encoding.ASCII.GetBytes("GIF89a-tiny-gif-bytes"), "image/gif");

        var error = await host.RefusedAsync(host.ImageToImage(new ImageInput { Blob = blob }), "contents");

        error.Message.ShouldContain("image/gif");
    }

    [Fact]
    public async Task Answers_400_naming_contents_when_there_is_no_input_image()
    {
        await host.RefusedAsync(host.TextToImage() with { Operation = "image-to-image" }, "contents");
    }
}

using System.Text.Json;
using CCApi.Adapters.OpenAI.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Storage;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace CCApi.Adapters.OpenAI.Tests.Integration;

/// <summary>Image edits and inpainting through POST /images/edits against the emulator's documented protocol.</summary>
public sealed class ImageEditTests(OpenAIAdapterHost host) : IClassFixture<OpenAIAdapterHost>
{
    private IBlobStore Blobs => host.Services.GetRequiredService<IBlobStore>();

    private async Task<ImageInput> InputAsync(byte[] png, string field, bool mask = false) =>
        new() { Blob = await Blobs.PutAsync(png, "image/png"), MimeType = "image/png", IsMask = mask, Field = field };

    private GenerateImage Edit(string model, string operation, IReadOnlyList<ImageInput> inputs, int size = 1024) =>
        host.Image(model) with { Operation = operation, Inputs = inputs, Width = size, Height = size, Prompt = "add a red balloon" };

    private static JsonElement Form(RecordedRequest request) => JsonDocument.Parse(request.Body).RootElement;

    [Fact]
    public async Task Inpaints_with_gpt_image_1_sending_image_mask_and_prompt_as_multipart()
    {
        host.Emulator.Reset();
        var inputs = new[]
        {
            await InputAsync(PngImage.Solid(1024, 1024, 10, 20, 30), "image"),
            await InputAsync(PngImage.Transparent(1024, 1024), "mask", mask: true),
        };

        var response = await host.AskAsync<GenerateImage, ImageGenerated>(Edit("gpt-image-1", "inpainting", inputs), JobKind.Image);

        response.Is(out Response<ImageGenerated>? generated).ShouldBeTrue();
        generated!.Message.Operation.ShouldBe("inpainting");
        (await Blobs.GetAsync(generated.Message.Images.ShouldHaveSingleItem().Blob.Id)).ShouldNotBeNull().ContentType.ShouldBe("image/png");
        var request = host.Emulator.Requests.ShouldHaveSingleItem();
        request.Path.ShouldBe("/v1/images/edits");
        var form = Form(request);
        form.GetProperty("model").GetString().ShouldBe("gpt-image-1");
        form.GetProperty("prompt").GetString().ShouldBe("add a red balloon");
        form.GetProperty("image_field").GetString().ShouldBe("image");
        form.GetProperty("mask").GetBoolean().ShouldBeTrue();
        form.GetProperty("size").GetString().ShouldBe("1024x1024");
        form.GetProperty("response_format").GetString().ShouldBeEmpty(); // gpt-image models reject it
    }

    [Fact]
    public async Task Edits_several_images_with_gpt_image_1_as_image_array()
    {
        host.Emulator.Reset();
        var inputs = new[]
        {
            await InputAsync(PngImage.Solid("a", 64, 64), "image[0]"),
            await InputAsync(PngImage.Solid("b", 64, 64), "image[1]"),
        };

        var response = await host.AskAsync<GenerateImage, ImageGenerated>(Edit("gpt-image-1", "multi-image-remix", inputs), JobKind.Image);

        response.Is(out Response<ImageGenerated>? _).ShouldBeTrue();
        var form = Form(host.Emulator.Requests.ShouldHaveSingleItem());
        form.GetProperty("image_field").GetString().ShouldBe("image[]");
        form.GetProperty("images").GetInt32().ShouldBe(2);
    }

    [Fact]
    public async Task Sends_gpt_images_output_options_and_its_quality_tier_with_an_edit_and_stores_the_jpeg_it_answers()
    {
        host.Emulator.Reset();
        var inputs = new[] { await InputAsync(PngImage.Solid(1024, 1024, 10, 20, 30), "image") };
        var command = Edit("gpt-image-1", "image-to-image", inputs) with
        {
            OutputFormat = "jpeg", OutputCompression = 60, Background = "opaque", Moderation = "low", Quality = "hd", // the .NET SDK's High
        };

        var response = await host.AskAsync<GenerateImage, ImageGenerated>(command, JobKind.Image);

        response.Is(out Response<ImageGenerated>? generated).ShouldBeTrue();
        (await Blobs.GetAsync(generated!.Message.Images.ShouldHaveSingleItem().Blob.Id)).ShouldNotBeNull().ContentType.ShouldBe("image/jpeg");
        var form = Form(host.Emulator.Requests.ShouldHaveSingleItem());
        form.GetProperty("output_format").GetString().ShouldBe("jpeg");
        form.GetProperty("output_compression").GetString().ShouldBe("60");
        form.GetProperty("background").GetString().ShouldBe("opaque");
        form.GetProperty("moderation").GetString().ShouldBe("low");
        form.GetProperty("quality").GetString().ShouldBe("high");
    }

    [Fact]
    public async Task Edits_a_transparent_square_png_with_dall_e_2_asking_for_b64_json()
    {
        host.Emulator.Reset();
        var inputs = new[] { await InputAsync(PngImage.Transparent(512, 512), "image") };

        var response = await host.AskAsync<GenerateImage, ImageGenerated>(Edit("dall-e-2", "image-to-image", inputs, size: 512), JobKind.Image);

        response.Is(out Response<ImageGenerated>? generated).ShouldBeTrue();
        generated!.Message.Usage.Images.ShouldBe(1);
        var form = Form(host.Emulator.Requests.ShouldHaveSingleItem());
        form.GetProperty("response_format").GetString().ShouldBe("b64_json");
        form.GetProperty("size").GetString().ShouldBe("512x512");
    }

    [Fact]
    public async Task A_mask_of_another_size_is_a_400_naming_the_mask_without_calling_the_provider()
    {
        var inputs = new[]
        {
            await InputAsync(PngImage.Solid(256, 256, 1, 2, 3), "image"),
            await InputAsync(PngImage.Transparent(128, 128), "mask", mask: true),
        };

        var error = await host.RefusedAsync(Edit("dall-e-2", "inpainting", inputs, size: 256), "mask");

        error.Message.ShouldContain("256x256");
    }

    [Fact]
    public async Task Dall_e_2_takes_one_image_only_and_a_size_it_supports()
    {
        host.Emulator.Reset();
        var two = new[] { await InputAsync(PngImage.Transparent(64, 64), "image[0]"), await InputAsync(PngImage.Transparent(64, 64), "image[1]") };
        var one = new[] { await InputAsync(PngImage.Transparent(64, 64), "image") };

        var many = await host.AskAsync<GenerateImage, ImageGenerated>(Edit("dall-e-2", "multi-image-remix", two, size: 256), JobKind.Image);
        var size = await host.AskAsync<GenerateImage, ImageGenerated>(Edit("dall-e-2", "image-to-image", one, size: 768), JobKind.Image);

        many.Is(out Response<JobFailed>? manyFailed).ShouldBeTrue();
        manyFailed!.Message.Error.Details!["param"].ShouldBe("image[1]");
        size.Is(out Response<JobFailed>? sizeFailed).ShouldBeTrue();
        sizeFailed!.Message.Error.Details!["param"].ShouldBe("size");
        host.Emulator.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task The_providers_400_for_an_opaque_dall_e_2_image_without_mask_reaches_the_caller_with_its_param()
    {
        host.Emulator.Reset();
        var inputs = new[] { await InputAsync(PngImage.Solid(256, 256, 9, 9, 9), "image") };

        var response = await host.AskAsync<GenerateImage, ImageGenerated>(Edit("dall-e-2", "image-to-image", inputs, size: 256), JobKind.Image);

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Status.ShouldBe(400);
        failed.Message.Error.Message.ShouldContain("transparency");
        host.Emulator.Requests.ShouldHaveSingleItem().Path.ShouldBe("/v1/images/edits");
    }

    [Fact]
    public async Task A_variation_goes_to_images_variations_with_dall_e_2_and_no_prompt()
    {
        host.Emulator.Reset();
        var inputs = new[] { await InputAsync(PngImage.Solid(512, 512, 40, 50, 60), "image") };
        var command = Edit("dall-e-2", "variation", inputs, size: 512) with { Prompt = "", NumImages = 2 };

        var response = await host.AskAsync<GenerateImage, ImageGenerated>(command, JobKind.Image);

        response.Is(out Response<ImageGenerated>? generated).ShouldBeTrue();
        generated!.Message.Operation.ShouldBe("variation");
        generated.Message.Images.Count.ShouldBe(2);
        var request = host.Emulator.Requests.ShouldHaveSingleItem();
        request.Path.ShouldBe("/v1/images/variations");
        var form = Form(request); // the emulator refuses any field OpenAI's variations do not take (a prompt, a quality)
        form.GetProperty("model").GetString().ShouldBe("dall-e-2");
        form.GetProperty("n").GetString().ShouldBe("2");
        form.GetProperty("size").GetString().ShouldBe("512x512");
        form.GetProperty("response_format").GetString().ShouldBe("b64_json");
        form.GetProperty("fields").EnumerateArray().Select(f => f.GetString()).ShouldBe(["model", "n", "response_format", "size"]);
    }

    [Fact]
    public async Task Only_dall_e_2_makes_variations_of_one_image_without_a_mask_and_nothing_is_sent_otherwise()
    {
        host.Emulator.Reset();
        var one = new[] { await InputAsync(PngImage.Solid(256, 256, 1, 2, 3), "image") };
        var masked = new[] { one[0], await InputAsync(PngImage.Transparent(256, 256), "mask", mask: true) };

        await host.RefusedAsync(Edit("gpt-image-1", "variation", one) with { Prompt = "" }, "model");
        await host.RefusedAsync(Edit("dall-e-2", "variation", masked, size: 256) with { Prompt = "" }, "mask");
        await host.RefusedAsync(Edit("dall-e-2", "variation", [], size: 256) with { Prompt = "" }, "image");
        host.Emulator.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task Models_that_cannot_edit_answer_400_naming_the_model_without_calling_the_provider()
    {
        var inputs = new[] { await InputAsync(PngImage.Transparent(64, 64), "image") };

        await host.RefusedAsync(Edit("dall-e-3", "image-to-image", inputs), "model");
    }

    [Fact]
    public async Task A_provider_500_on_an_edit_is_retried_and_then_a_502()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.ServerError);
        var inputs = new[] { await InputAsync(PngImage.Transparent(256, 256), "image") };

        var response = await host.AskAsync<GenerateImage, ImageGenerated>(Edit("dall-e-2", "image-to-image", inputs, size: 256), JobKind.Image);

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Status.ShouldBe(502);
        host.Emulator.Count("/v1/images/edits").ShouldBe(3); // the multipart body is rebuilt for every attempt
    }
}

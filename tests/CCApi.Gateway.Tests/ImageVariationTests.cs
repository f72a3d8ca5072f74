using System.Net.Http.Headers;
using CCApi.Contracts;
using OpenAI.Images;

namespace CCApi.Gateway.Tests;

/// <summary>POST /v1/images/variations: OpenAI-compatible multipart, one image and no prompt, checked before any provider call.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ImageVariationTests(GatewayFixture gateway)
{
    private static MultipartFormDataContent Form(string model, (string Name, string Value)[]? fields = null, int images = 1, bool mask = false)
    {
        var form = new MultipartFormDataContent();
        for (var i = 0; i < images; i++)
        {
            form.Add(Png(), "image", $"image{i}.png");
        }

        if (mask)
        {
            form.Add(Png(), "mask", "mask.png");
        }

        form.Add(new StringContent(model), "model");
        foreach (var (name, value) in fields ?? [])
        {
            form.Add(new StringContent(value), name);
        }

        return form;

        static ByteArrayContent Png()
        {
            var content = new ByteArrayContent(FakeProviders.Png);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            return content;
        }
    }

    /// <summary>Posts the form and answers the response and the variation command it sent, if any (variations carry no prompt to find them by).</summary>
    private async Task<(HttpResponseMessage Response, JsonNode Json, GenerateImage? Command)> PostAsync(HttpContent content)
    {
        var before = gateway.Providers.ImageCommands.Keys.ToHashSet();
        var response = await gateway.Client.PostAsync("/v1/images/variations", content);
        var json = await GatewayFixture.ReadJsonAsync(response);
        return (response, json, gateway.Providers.ImageCommands.Values.SingleOrDefault(c => !before.Contains(c.JobId)));
    }

    [Fact]
    public async Task A_variation_of_one_image_reaches_a_model_that_makes_them_as_a_blob_reference_without_a_prompt()
    {
        var (response, json, command) = await PostAsync(Form("local/pixel-1", [("n", "2"), ("size", "512x512"), ("response_format", "b64_json"), ("user", "u-1")]));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        json["data"]!.AsArray().Count.ShouldBe(2);
        command.ShouldNotBeNull();
        command.Operation.ShouldBe("variation");
        command.Prompt.ShouldBeEmpty();
        command.NumImages.ShouldBe(2);
        (command.Width, command.Height).ShouldBe((512, 512));
        var input = command.Inputs.ShouldHaveSingleItem();
        input.Blob.ShouldNotBeNull();
        input.IsMask.ShouldBeFalse();
        input.Field.ShouldBe("image");
    }

    [Theory]
    [InlineData("prompt", "make it blue", "prompt")]
    [InlineData("quality", "hd", "quality")]
    public async Task A_field_variations_do_not_take_is_a_400_naming_it_and_nothing_is_sent(string field, string value, string param)
    {
        var (response, json, command) = await PostAsync(Form("local/pixel-1", [(field, value)]));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        json["error"]!["code"]!.GetValue<string>().ShouldBe("unsupported_parameter");
        json["error"]!["param"]!.GetValue<string>().ShouldBe(param);
        command.ShouldBeNull();
    }

    [Theory]
    [InlineData("local/pixel-1", 0, false, null, null, "image")]
    [InlineData("local/pixel-1", 2, false, null, null, "image")]
    [InlineData("local/pixel-1", 1, true, null, null, "mask")]
    [InlineData("openai/gpt-image-1", 1, false, null, null, "model")]
    [InlineData("local/pixel-async-1", 1, false, null, null, "model")]
    [InlineData("openai/dall-e-2", 1, false, "size", "1792x1024", "size")]
    [InlineData("local/pixel-1", 1, false, "n", "11", "n")]
    [InlineData("local/pixel-1", 1, false, "response_format", "gif", "response_format")]
    public async Task What_a_variation_cannot_be_is_a_400_naming_the_field_before_dispatch(string model, int images, bool mask, string? field, string? value, string param)
    {
        var (response, json, command) = await PostAsync(Form(model, field is null ? null : [(field, value!)], images, mask));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        json["error"]!["param"]!.GetValue<string>().ShouldBe(param);
        command.ShouldBeNull();
    }

    [Fact]
    public async Task A_text_field_that_is_not_UTF8_is_a_400_naming_it_and_a_JSON_body_is_a_415()
    {
        var form = Form("local/pixel-1");
        form.Add(new ByteArrayContent([0x32, 0xff, 0xfe]), "n");

        var (response, json, command) = await PostAsync(form);
        var (unsupported, _, _) = await PostAsync(new StringContent("""{"model":"local/pixel-1"}""", Encoding.UTF8, "application/json"));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        json["error"]!["param"]!.GetValue<string>().ShouldBe("n");
        command.ShouldBeNull();
        unsupported.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Without_response_format_a_variation_answers_a_signed_url()
    {
        var (response, json, _) = await PostAsync(Form("local/pixel-1"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        json["data"]!.AsArray().ShouldHaveSingleItem()!["url"]!.GetValue<string>().ShouldStartWith("http");
    }

    [Fact]
    public async Task The_OpenAI_SDK_makes_variations()
    {
        var images = gateway.Sdk(gateway.ApiKey).GetImageClient("local/pixel-1");
        var before = gateway.Providers.ImageCommands.Keys.ToHashSet();

        GeneratedImageCollection variations = await images.GenerateImageVariationsAsync(new MemoryStream(FakeProviders.Png), "image.png", 2,
            new ImageVariationOptions { ResponseFormat = GeneratedImageFormat.Bytes, Size = GeneratedImageSize.W256xH256 });

        variations.Count.ShouldBe(2);
        variations[0].ImageBytes.ToArray().ShouldBe(FakeProviders.Png);
        var command = gateway.Providers.ImageCommands.Values.Single(c => !before.Contains(c.JobId));
        command.Operation.ShouldBe("variation");
        (command.Width, command.Height).ShouldBe((256, 256));
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_multipart_body()
    {
        var document = await gateway.OpenApiAsync();

        var body = document["paths"]!["/v1/images/variations"]!["post"]!["requestBody"]!["content"]!["multipart/form-data"]!["schema"]!;
        body["properties"]!["image"]!["format"]!.GetValue<string>().ShouldBe("binary");
        body["properties"]!.AsObject().Select(p => p.Key).ShouldBe(["image", "model", "n", "size", "response_format", "user"], ignoreOrder: true);
        body["required"]!.AsArray().Select(n => n!.GetValue<string>()).ShouldBe(["image", "model"], ignoreOrder: true);
    }
}

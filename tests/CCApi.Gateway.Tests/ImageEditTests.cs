using System.Net.Http.Headers;
using OpenAI.Images;

namespace CCApi.Gateway.Tests;

/// <summary>POST /v1/images/edits: OpenAI-compatible multipart, checked against the catalog before any provider call.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ImageEditTests(GatewayFixture gateway)
{
    private static ByteArrayContent File(byte[] bytes, string type = "image/png")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    private static MultipartFormDataContent Form(string model, string prompt, (string Name, string Value)[]? fields = null, bool image = true, bool mask = false) =>
        Form(model, new StringContent(prompt), fields, image, mask);

    private static MultipartFormDataContent Form(string model, HttpContent prompt, (string Name, string Value)[]? fields = null, bool image = true, bool mask = false)
    {
        var form = new MultipartFormDataContent();
        if (image)
        {
            form.Add(File(FakeProviders.Png), "image", "image.png");
        }

        if (mask)
        {
            form.Add(File(FakeProviders.Png), "mask", "mask.png");
        }

        form.Add(new StringContent(model), "model");
        form.Add(prompt, "prompt");
        foreach (var (name, value) in fields ?? [])
        {
            form.Add(new StringContent(value), name);
        }

        return form;
    }

    private async Task<(HttpResponseMessage Response, System.Text.Json.Nodes.JsonNode Json)> PostAsync(HttpContent content)
    {
        var response = await gateway.Client.PostAsync("/v1/images/edits", content);
        return (response, await GatewayFixture.ReadJsonAsync(response));
    }

    [Theory]
    [InlineData("")] // empty
    [InlineData("--x\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nhalf")] // cut short
    [InlineData("--other\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nx\r\n--other--\r\n")] // another boundary
    public async Task A_multipart_body_that_ends_before_its_boundary_is_a_400_saying_so(string body)
    {
        using var content = new StringContent(body);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("multipart/form-data; boundary=x");

        var (response, json) = await PostAsync(content);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, json.ToJsonString());
        json["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe("body");
        json["error"]!["message"]!.GetValue<string>().ShouldContain("ended before its closing boundary");
    }

    [Fact]
    public async Task Inpaints_on_a_local_model_sending_the_uploads_as_blob_references()
    {
        var prompt = "edit inpaint " + Guid.NewGuid().ToString("N");

        var (response, json) = await PostAsync(Form("local/pixel-1", prompt, [("n", "2"), ("size", "512x512"), ("response_format", "b64_json")], mask: true));

        response.StatusCode.ShouldBe(HttpStatusCode.OK, json.ToJsonString());
        json["data"]!.AsArray().Count.ShouldBe(2);
        json["data"]![0]!["b64_json"]!.GetValue<string>().ShouldBe(Convert.ToBase64String(FakeProviders.Png));
        var command = gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == prompt);
        command.Operation.ShouldBe("inpainting");
        (command.Width, command.Height, command.NumImages).ShouldBe((512, 512, 2));
        command.Inputs!.Count.ShouldBe(2);
        command.Inputs.ShouldAllBe(i => i.Blob != null && i.Url == null && i.MimeType == "image/png");
        command.Inputs.Select(i => (i.Field, i.IsMask)).ShouldBe([("image", false), ("mask", true)]);
    }

    [Fact]
    public async Task An_edit_without_response_format_answers_in_the_models_catalog_default()
    {
        var (response, json) = await PostAsync(Form("openai/gpt-image-1", "edit default format " + Guid.NewGuid().ToString("N"), [("size", "1024x1024")]));

        response.StatusCode.ShouldBe(HttpStatusCode.OK, json.ToJsonString());
        var item = json["data"]!.AsArray().ShouldHaveSingleItem()!.AsObject();
        item.ContainsKey("url").ShouldBeFalse();
        item["b64_json"]!.GetValue<string>().ShouldBe(Convert.ToBase64String(FakeProviders.Png));
    }

    [Fact]
    public async Task Several_images_make_a_multi_image_remix()
    {
        var prompt = "edit remix " + Guid.NewGuid().ToString("N");
        var form = Form("local/pixel-1", prompt, image: false);
        form.Add(File(FakeProviders.Png), "image[]", "a.png");
        form.Add(File(FakeProviders.Png), "image[]", "b.png");

        var (response, _) = await PostAsync(form);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var command = gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == prompt);
        command.Operation.ShouldBe("multi-image-remix");
        command.Inputs!.Select(i => i.Field).ShouldBe(["image[][0]", "image[][1]"]);
    }

    [Fact]
    public async Task A_model_without_the_operation_is_a_400_before_any_provider_call()
    {
        var prompt = "edit unsupported " + Guid.NewGuid().ToString("N");

        var (response, json) = await PostAsync(Form("openai/dall-e-3", prompt, mask: true));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        json["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe("mask");
        json["error"]!["message"]!.GetValue<string>().ShouldContain("inpainting");
        gateway.Providers.ImageCommands.Values.ShouldNotContain(c => c.Prompt == prompt);
    }

    [Theory]
    [InlineData("image")]
    [InlineData("prompt")]
    [InlineData("model")]
    public async Task A_missing_required_field_is_a_400_naming_it(string missing)
    {
        var form = new MultipartFormDataContent();
        if (missing != "image")
        {
            form.Add(File(FakeProviders.Png), "image", "image.png");
        }

        if (missing != "prompt")
        {
            form.Add(new StringContent("edit"), "prompt");
        }

        if (missing != "model")
        {
            form.Add(new StringContent("local/pixel-1"), "model");
        }

        var (response, json) = await PostAsync(form);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        json["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe(missing);
    }

    [Fact]
    public async Task A_file_that_is_not_an_image_is_a_400_naming_its_field()
    {
        var form = Form("local/pixel-1", "edit", image: false);
        form.Add(File("not an image"u8.ToArray(), "image/png"), "image", "image.png");

        var (response, json) = await PostAsync(form);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        json["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe("image");
    }

    [Fact]
    public async Task An_edit_size_the_model_does_not_make_is_a_400_before_dispatch()
    {
        var prompt = "edit size " + Guid.NewGuid().ToString("N");

        var (response, json) = await PostAsync(Form("openai/gpt-image-1", prompt, [("size", "512x512")]));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        json["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe("size");
        json["error"]!["message"]!.GetValue<string>().ShouldContain("1024x1024, 1536x1024, 1024x1536");
        gateway.Providers.ImageCommands.Values.ShouldNotContain(c => c.Prompt == prompt);
    }

    [Theory]
    [InlineData("n", "0")]
    [InlineData("n", "two")]
    [InlineData("size", "huge")]
    [InlineData("response_format", "gif")]
    [InlineData("stream", "maybe")]
    [InlineData("stream", "1")]
    [InlineData("output_format", "webp")]
    [InlineData("output_format", "gif")]
    [InlineData("output_compression", "50")]
    [InlineData("background", "transparent")]
    [InlineData("moderation", "low")]
    [InlineData("partial_images", "2")]
    public async Task Bad_parameters_are_400s_naming_them(string field, string value)
    {
        var (response, json) = await PostAsync(Form("local/pixel-1", "edit", [(field, value)]));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        json["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe(field);
    }

    [Fact]
    public async Task A_quality_the_model_cannot_make_is_a_400_before_the_upload_is_stored_or_dispatched()
    {
        var prompt = "hd edit " + Guid.NewGuid().ToString("N");

        var (response, json) = await PostAsync(Form("openai/dall-e-2", prompt, [("quality", "hd"), ("size", "256x256")]));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        json["error"]!["code"]!.GetValue<string>().ShouldBe("unsupported_parameter");
        json["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe("quality");
        gateway.Providers.ImageCommands.Values.ShouldNotContain(c => c.Prompt == prompt);
    }

    [Fact]
    public async Task A_streamed_edit_answers_its_partial_images_then_image_edit_completed_events()
    {
        var prompt = "stream edit [slow-result] " + Guid.NewGuid().ToString("N");

        var response = await gateway.Client.PostAsync("/v1/images/edits", Form("local/pixel-1", prompt, [("stream", "true"), ("partial_images", "1"), ("size", "256x256")]));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var events = ImageGenerationsTests.ImageEvents(await response.Content.ReadAsStringAsync());
        events.Select(e => e.Event).ShouldBe(["image_edit.partial_image", "image_edit.completed"]);
        events[0].Data["type"]!.GetValue<string>().ShouldBe("image_edit.partial_image");
        events[0].Data["partial_image_index"]!.GetValue<int>().ShouldBe(0);
        Convert.FromBase64String(events[0].Data["b64_json"]!.GetValue<string>()).ShouldBe(FakeProviders.PartialPng);
        var data = events[1].Data;
        data["type"]!.GetValue<string>().ShouldBe("image_edit.completed");
        Convert.FromBase64String(data["b64_json"]!.GetValue<string>()).ShouldBe(FakeProviders.Png);
        data["size"]!.GetValue<string>().ShouldBe("256x256");
        var command = gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == prompt);
        command.Operation.ShouldBe("image-to-image");
        command.PartialImages.ShouldBe(1);
    }

    [Fact]
    public async Task An_unknown_file_field_is_a_400_naming_it()
    {
        var form = Form("local/pixel-1", "edit");
        form.Add(File(FakeProviders.Png), "picture", "p.png");

        var (response, json) = await PostAsync(form);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        json["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe("picture");
    }

    public static TheoryData<string, byte[]> NotUtf8 => new()
    {
        { "bytes that are not UTF-8", [0x61, 0xff, 0xfe, 0x62] },
        { "a UTF-16 byte-order mark", [0xff, 0xfe, 0x61, 0x00] },
        { "a lone surrogate in UTF-8 form", [0x61, 0xed, 0xa0, 0x80, 0x62] },
        { "an overlong encoding", [0xc0, 0xaf] },
        { "a truncated sequence", [0x61, 0xe2, 0x82] },
    };

    [Theory]
    [MemberData(nameof(NotUtf8))]
    public async Task A_text_field_that_is_not_UTF8_is_a_400_naming_it_and_nothing_is_sent(string kind, byte[] prompt)
    {
        var form = Form("local/pixel-1", new ByteArrayContent(prompt));
        var before = gateway.Providers.ImageCommands.Count;

        var (response, json) = await PostAsync(form);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, kind);
        json["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe("prompt", kind);
        json["error"]!["message"]!.GetValue<string>().ShouldContain("UTF-8", Case.Sensitive, kind);
        gateway.Providers.ImageCommands.Count.ShouldBe(before, kind);
    }

    [Fact]
    public async Task A_text_field_declaring_another_charset_is_a_400_naming_it()
    {
        var form = Form("local/pixel-1", new StringContent("a fox", System.Text.Encoding.Unicode)); // charset=utf-16

        var (response, json) = await PostAsync(form);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        json["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe("prompt");
    }

    [Fact]
    public async Task UTF8_text_reaches_the_provider_as_sent_with_a_byte_order_mark_dropped()
    {
        var prompt = "édit 🦊 \ufffd kept " + Guid.NewGuid().ToString("N"); // a real U+FFFD is text like any other
        var form = Form("local/pixel-1", new ByteArrayContent([.. System.Text.Encoding.UTF8.Preamble, .. System.Text.Encoding.UTF8.GetBytes(prompt)]));

        var (response, json) = await PostAsync(form);

        response.StatusCode.ShouldBe(HttpStatusCode.OK, json.ToJsonString());
        gateway.Providers.ImageCommands.Values.ShouldContain(c => c.Prompt == prompt);
    }

    [Fact]
    public async Task A_part_without_a_form_data_name_is_a_400()
    {
        var form = Form("local/pixel-1", "edit");
        var nameless = new StringContent("x");
        nameless.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data");
        form.Add(nameless);

        var (response, json) = await PostAsync(form);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        json["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe("body");
    }

    [Fact]
    public async Task A_JSON_body_is_a_415()
    {
        var (response, json) = await PostAsync(new StringContent("""{"model":"local/pixel-1","prompt":"x"}""", System.Text.Encoding.UTF8, "application/json"));

        response.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        json["error"]!["message"]!.GetValue<string>().ShouldContain("multipart/form-data");
    }

    [Fact]
    public async Task The_OpenAI_SDK_edits_an_image_with_a_mask()
    {
        var prompt = "sdk edit " + Guid.NewGuid().ToString("N");
        var images = gateway.Sdk(gateway.ApiKey).GetImageClient("local/pixel-1");

        GeneratedImage edited = await images.GenerateImageEditAsync(
            new MemoryStream(FakeProviders.Png), "image.png", prompt, new MemoryStream(FakeProviders.Png), "mask.png",
            new ImageEditOptions { ResponseFormat = GeneratedImageFormat.Bytes, Size = GeneratedImageSize.W512xH512 });

        edited.ImageBytes.ToArray().ShouldBe(FakeProviders.Png);
        var command = gateway.Providers.ImageCommands.Values.Single(c => c.Prompt == prompt);
        command.Operation.ShouldBe("inpainting");
        command.Width.ShouldBe(512);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_multipart_body()
    {
        var document = await gateway.OpenApiAsync();

        var body = document["paths"]!["/v1/images/edits"]!["post"]!["requestBody"]!["content"]!["multipart/form-data"]!["schema"]!;
        body["properties"]!["image"]!["format"]!.GetValue<string>().ShouldBe("binary");
        body["properties"]!["mask"]!["format"]!.GetValue<string>().ShouldBe("binary");
        body["required"]!.AsArray().Select(n => n!.GetValue<string>()).ShouldBe(["image", "prompt", "model"], ignoreOrder: true);
    }
}

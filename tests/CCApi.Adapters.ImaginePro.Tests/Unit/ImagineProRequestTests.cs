using CCApi.Adapters.ImaginePro.Jobs;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.ImaginePro.Tests.Unit;

/// <summary>What a command may ask of ImaginePro, checked before anything is submitted (and paid for).</summary>
public sealed class ImagineProRequestTests
{
    private static readonly InputImageUrls NoPublicFiles = new(Options.Create(new BlobUrlOptions()), TimeProvider.System);

    private static readonly InputImageUrls PublicFiles = new(
        Options.Create(new BlobUrlOptions { SigningKey = new string('k', 32), PublicBaseUrl = "https://api.example.com/" }), TimeProvider.System);

    private static GenerateImage Command(string operation = "text-to-image", string prompt = "a cat", int n = 1, params ImageInput[] inputs) => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = new JobRoute { OwnerId = "o", Provider = "imaginepro", Model = "imaginepro/nano-banana", ProviderModel = "nano-banana" },
        Operation = operation,
        Prompt = prompt,
        Inputs = inputs.Length == 0 ? null : inputs,
        NumImages = n,
        Width = 1024,
        Height = 1024,
    };

    private static string FieldOf(Action act) => Should.Throw<ApiException>(act).ToErrorInfo().Details!["param"];

    [Fact]
    public void Passes_the_prompt_and_the_clients_image_urls_in_order()
    {
        var request = ImagineProRequest.From(Command("multi-image-remix", "blend", 1,
            new ImageInput { Url = "https://a.example/1.png" }, new ImageInput { Url = "https://a.example/2.png" }), NoPublicFiles);

        request.Prompt.ShouldBe("blend");
        request.ImageUrls.ShouldBe(["https://a.example/1.png", "https://a.example/2.png"]);
    }

    [Fact]
    public void Turns_uploaded_image_data_into_a_signed_public_file_url_when_the_public_origin_is_known()
    {
        var blob = new BlobRef { Id = new string('a', 32), ContentType = "image/jpeg", Length = 10 };

        var url = ImagineProRequest.From(Command("image-to-image", "edit", 1, new ImageInput { Blob = blob }), PublicFiles).ImageUrls.ShouldHaveSingleItem();

        url.ShouldStartWith($"https://api.example.com/v1/files/{blob.Id}.jpg?expires=");
    }

    [Fact]
    public void Rejects_uploaded_image_data_naming_the_field_when_no_public_origin_is_configured() =>
        FieldOf(() => ImagineProRequest.From(Command("image-to-image", "edit", 1, new ImageInput { Blob = new BlobRef { Id = new string('a', 32), ContentType = "image/png" } }), NoPublicFiles))
            .ShouldBe("contents[0].image");

    [Theory]
    [InlineData("inpainting", "operation")]
    [InlineData("outpainting", "operation")]
    [InlineData("image-to-image", "contents")]
    [InlineData("multi-image-remix", "contents")]
    public void Rejects_operations_it_cannot_run_or_that_lack_an_input_image(string operation, string field) =>
        FieldOf(() => ImagineProRequest.From(Command(operation), NoPublicFiles)).ShouldBe(field);

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void Rejects_a_number_of_images_outside_1_to_4(int n) =>
        FieldOf(() => ImagineProRequest.From(Command(n: n), NoPublicFiles)).ShouldBe("num_images");

    [Fact]
    public void Rejects_an_empty_prompt_and_masks_and_bad_urls()
    {
        FieldOf(() => ImagineProRequest.From(Command(prompt: " "), NoPublicFiles)).ShouldBe("prompt");
        FieldOf(() => ImagineProRequest.From(Command("image-to-image", "x", 1, new ImageInput { Url = "https://a.example/1.png", IsMask = true }), NoPublicFiles)).ShouldBe("contents[0].mask");
        FieldOf(() => ImagineProRequest.From(Command("image-to-image", "x", 1, new ImageInput { Url = "ftp://a.example/1.png" }), NoPublicFiles)).ShouldBe("contents[0].image");
    }
}

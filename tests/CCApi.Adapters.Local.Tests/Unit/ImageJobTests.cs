using CCApi.Adapters.Local.Images;
using CCApi.Adapters.Local.Tests.Support;
using CCApi.Contracts;
using CCApi.ServiceDefaults;

namespace CCApi.Adapters.Local.Tests.Unit;

public class ImageJobTests
{
    [Fact]
    public void Each_image_of_a_request_gets_its_own_seed_starting_at_the_requested_one()
    {
        var command = Commands.Image("harbour", seed: 1000, n: 3);

        Enumerable.Range(0, 3).Select(i => ImageJob.SeedOf(command, i)).ShouldBe([1000L, 1001L, 1002L]);
    }

    [Fact]
    public void Without_a_seed_the_seed_comes_from_the_prompt()
    {
        ImageJob.SeedOf(Commands.Image("harbour"), 0).ShouldBe(ProceduralImage.SeedFor("harbour"));
    }

    [Theory]
    [InlineData(0, 10, 1, "width")]
    [InlineData(4096, 10, 1, "width")]
    [InlineData(10, 0, 1, "height")]
    [InlineData(10, 10, 0, "num_images")]
    [InlineData(10, 10, 11, "num_images")]
    public void Returns_400_naming_the_field_for_sizes_and_counts_out_of_range(int width, int height, int n, string field)
    {
        var ex = Should.Throw<ApiException>(() => ImageJob.Validate(Commands.Image("x", width, height, n)));

        ex.Status.ShouldBe(400);
        ex.Details!["param"].ShouldBe(field);
    }

    [Fact]
    public void Returns_400_when_an_image_operation_has_no_input_image()
    {
        var ex = Should.Throw<ApiException>(() => ImageJob.Validate(Commands.Image("x", operation: "image-to-image")));

        ex.Details!["param"].ShouldBe("contents");
    }

    [Fact]
    public void A_variation_needs_its_image_and_no_prompt()
    {
        var image = new ImageInput { Url = "https://example.com/a.png", Field = "image" };

        Should.NotThrow(() => ImageJob.Validate(Commands.Image("", operation: "variation") with { Inputs = [image] }));
        Should.Throw<ApiException>(() => ImageJob.Validate(Commands.Image("", operation: "variation"))).Details!["param"].ShouldBe("contents");
    }
}

using CCApi.Adapters.Local.Images;
using CCApi.Adapters.Local.Tests.Support;

namespace CCApi.Adapters.Local.Tests.Unit;

public class ProceduralImageTests
{
    [Fact]
    public void Same_prompt_and_seed_give_identical_bytes()
    {
        var a = ProceduralImage.RenderPng(new ImageSpec("a lighthouse in a storm", 123, 96, 64));
        var b = ProceduralImage.RenderPng(new ImageSpec("a lighthouse in a storm", 123, 96, 64));

        a.ShouldBe(b);
    }

    [Fact]
    public void Different_seeds_or_prompts_give_different_images()
    {
        var baseline = ProceduralImage.RenderRgb(new ImageSpec("a lighthouse", 1, 64, 64));

        ProceduralImage.RenderRgb(new ImageSpec("a lighthouse", 2, 64, 64)).ShouldNotBe(baseline);
        ProceduralImage.RenderRgb(new ImageSpec("a windmill", 1, 64, 64)).ShouldNotBe(baseline);
    }

    [Fact]
    public void A_tint_changes_the_colours()
    {
        var plain = ProceduralImage.RenderRgb(new ImageSpec("a lighthouse", 1, 32, 32));
        var tinted = ProceduralImage.RenderRgb(new ImageSpec("a lighthouse", 1, 32, 32, new Rgb(255, 0, 0), 0.8f));

        tinted.ShouldNotBe(plain);
        // Red pulls the average red channel up.
        Average(tinted, 0).ShouldBeGreaterThan(Average(plain, 0));
    }

    [Fact]
    public void The_image_is_not_a_flat_colour()
    {
        var rgb = ProceduralImage.RenderRgb(new ImageSpec("anything", 5, 64, 64));

        Enumerable.Range(0, rgb.Length / 3).Select(i => (rgb[i * 3], rgb[(i * 3) + 1], rgb[(i * 3) + 2])).Distinct().Count().ShouldBeGreaterThan(50);
    }

    [Fact]
    public void A_missing_seed_is_derived_from_the_prompt_and_is_stable()
    {
        ProceduralImage.SeedFor("cats").ShouldBe(ProceduralImage.SeedFor("cats"));
        ProceduralImage.SeedFor("cats").ShouldNotBe(ProceduralImage.SeedFor("dogs"));
        ProceduralImage.SeedFor("cats").ShouldBeInRange(0, int.MaxValue);
    }

    [Theory]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0 }, "image/png")]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0 }, "image/jpeg")]
    [InlineData(new byte[] { (byte)'G', (byte)'I', (byte)'F', (byte)'8', (byte)'9', (byte)'a' }, "image/gif")]
    [InlineData(new byte[] { (byte)'R', (byte)'I', (byte)'F', (byte)'F', 0, 0, 0, 0, (byte)'W', (byte)'E', (byte)'B', (byte)'P' }, "image/webp")]
    [InlineData(new byte[] { (byte)'R', (byte)'I', (byte)'F', (byte)'F', 0, 0, 0, 0, (byte)'W', (byte)'A', (byte)'V', (byte)'E' }, null)]
    [InlineData(new byte[] { (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o' }, null)]
    [InlineData(new byte[0], null)]
    public void Input_images_are_recognised_by_magic_bytes(byte[] bytes, string? expected)
    {
        ImageFormats.Sniff(bytes).ShouldBe(expected);
    }

    [Fact]
    public void The_generated_png_is_recognised_as_png()
    {
        ImageFormats.Sniff(ProceduralImage.RenderPng(new ImageSpec("x", 1, 4, 4))).ShouldBe("image/png");
        PngFile.Read(ProceduralImage.RenderPng(new ImageSpec("x", 1, 4, 4))).Width.ShouldBe(4);
    }

    private static double Average(byte[] rgb, int channel) =>
        Enumerable.Range(0, rgb.Length / 3).Average(i => rgb[(i * 3) + channel]);
}

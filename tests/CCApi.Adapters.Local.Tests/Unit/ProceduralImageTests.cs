using CCApi.Adapters.Local.Images;
using CCApi.Adapters.Local.Tests.Support;
using CCApi.Storage;

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
        ImageBytes.Sniff(bytes).ShouldBe(expected);
    }

    [Fact]
    public void The_generated_png_is_recognised_as_png()
    {
        ImageBytes.Sniff(ProceduralImage.RenderPng(new ImageSpec("x", 1, 4, 4))).ShouldBe("image/png");
        PngFile.Read(ProceduralImage.RenderPng(new ImageSpec("x", 1, 4, 4))).Width.ShouldBe(4);
    }

    [Fact]
    public void Pixelate_fills_each_block_with_its_mean_colour_and_keeps_blocks_of_one_pixel_as_they_are()
    {
        var rgb = ProceduralImage.RenderRgb(new ImageSpec("a red fox", 42, 20, 12));

        ProceduralImage.Pixelate(rgb, 20, 12, 1).ShouldBe(rgb);

        var coarse = ProceduralImage.Pixelate(rgb, 20, 12, 8); // blocks 8x8, 8x4 at the bottom, 4x8 and 4x4 at the right edge
        coarse.Length.ShouldBe(rgb.Length);
        for (var channel = 0; channel < 3; channel++)
        {
            var expected = (byte)(Enumerable.Range(0, 8).SelectMany(y => Enumerable.Range(0, 8).Select(x => rgb[(((y * 20) + x) * 3) + channel])).Sum(v => v) / 64);
            for (var y = 0; y < 8; y++)
            {
                for (var x = 0; x < 8; x++)
                {
                    coarse[(((y * 20) + x) * 3) + channel].ShouldBe(expected);
                }
            }

            var corner = Enumerable.Range(8, 4).SelectMany(y => Enumerable.Range(16, 4).Select(x => rgb[(((y * 20) + x) * 3) + channel])).Sum(v => v) / 16;
            coarse[(((11 * 20) + 19) * 3) + channel].ShouldBe((byte)corner);
        }

        Average(coarse, 0).ShouldBe(Average(rgb, 0), tolerance: 1.5); // a preview of the same picture, not another one
    }

    private static double Average(byte[] rgb, int channel) =>
        Enumerable.Range(0, rgb.Length / 3).Average(i => rgb[(i * 3) + channel]);
}

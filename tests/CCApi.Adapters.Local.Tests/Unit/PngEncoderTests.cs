using System.Text;
using CCApi.Adapters.Local.Images;
using CCApi.Adapters.Local.Tests.Support;

namespace CCApi.Adapters.Local.Tests.Unit;

public class PngEncoderTests
{
    [Fact]
    public void Crc32_matches_the_standard_check_value()
    {
        Crc32.Compute(Encoding.ASCII.GetBytes("123456789")).ShouldBe(0xCBF43926u);
        Crc32.Compute([]).ShouldBe(0u);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 3)]
    [InlineData(64, 48)]
    [InlineData(333, 17)]
    public void Writes_a_valid_png_of_exactly_the_requested_size(int width, int height)
    {
        var png = ProceduralImage.RenderPng(new ImageSpec("a red fox", 42, width, height));

        png.AsSpan(0, 8).ToArray().ShouldBe(PngFile.Signature);
        var file = PngFile.Read(png); // throws on any CRC mismatch
        file.Width.ShouldBe(width);
        file.Height.ShouldBe(height);
        file.BitDepth.ShouldBe((byte)8);
        file.ColorType.ShouldBe((byte)2);
        file.ChunkTypes[0].ShouldBe("IHDR");
        file.ChunkTypes[^1].ShouldBe("IEND");
        file.ChunkTypes.ShouldContain("IDAT");
        file.Inflated.Length.ShouldBe(height * (1 + (width * 3)));
    }

    [Fact]
    public void Decoded_pixels_are_exactly_the_pixels_that_were_encoded()
    {
        var spec = new ImageSpec("sunset over the sea", 7, 50, 31);
        var rgb = ProceduralImage.RenderRgb(spec);

        var decoded = PngFile.Read(PngEncoder.EncodeRgb(rgb, spec.Width, spec.Height)).Pixels();

        decoded.ShouldBe(rgb);
    }

    [Fact]
    public void Rejects_a_pixel_buffer_that_does_not_match_the_size()
    {
        Should.Throw<ArgumentException>(() => PngEncoder.EncodeRgb(new byte[10], 2, 2));
    }

    [Fact]
    public void Encodes_a_1024_square_image_that_decodes_to_the_right_size()
    {
        var png = ProceduralImage.RenderPng(new ImageSpec("big", 1, 1024, 1024));

        var file = PngFile.Read(png);
        file.Width.ShouldBe(1024);
        file.Inflated.Length.ShouldBe(1024 * (1 + (1024 * 3)));
    }
}

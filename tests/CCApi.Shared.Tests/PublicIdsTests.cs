using CCApi.Contracts;

namespace CCApi.Shared.Tests;

public sealed class PublicIdsTests
{
    private static readonly Guid JobId = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");

    [Fact]
    public void Each_kind_has_its_prefix_and_the_job_ids_32_hex_digits()
    {
        PublicIds.Chat(JobId).ShouldBe("chatcmpl-0f8fad5bd9cb469fa16570867728950e");
        PublicIds.Image(JobId).ShouldBe("img_0f8fad5bd9cb469fa16570867728950e");
        PublicIds.Speech(JobId).ShouldBe("speech_0f8fad5bd9cb469fa16570867728950e");
        PublicIds.Of(JobKind.Chat, JobId.ToString("N")).ShouldBe(PublicIds.Chat(JobId));
        PublicIds.Of(JobKind.Image, JobId.ToString("N")).ShouldBe(PublicIds.Image(JobId));
        PublicIds.Of(JobKind.Speech, JobId.ToString("N")).ShouldBe(PublicIds.Speech(JobId));
    }

    [Fact]
    public void An_id_reads_back_as_its_job_id()
    {
        PublicIds.TryParse(PublicIds.Image(JobId), PublicIds.ImagePrefix, out var image).ShouldBeTrue();
        image.ShouldBe(JobId);
        PublicIds.TryParse(PublicIds.Chat(JobId), PublicIds.ChatPrefix, out var chat).ShouldBeTrue();
        chat.ShouldBe(JobId);
        PublicIds.TryParse(JobId.ToString("N"), PublicIds.ImagePrefix, out var bare, bare: true).ShouldBeTrue();
        bare.ShouldBe(JobId);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("img_")]
    [InlineData("0f8fad5bd9cb469fa16570867728950e")] // bare, not allowed here
    [InlineData("chatcmpl-0f8fad5bd9cb469fa16570867728950e")] // another kind's id
    [InlineData("IMG_0f8fad5bd9cb469fa16570867728950e")]
    [InlineData("img_0f8fad5bd9cb469fa16570867728950")] // 31 digits
    [InlineData("img_0f8fad5bd9cb469fa16570867728950e0")] // 33
    [InlineData("img_0f8fad5b-d9cb-469f-a165-70867728950e")]
    [InlineData("img_0f8fad5bd9cb469fa16570867728950g")]
    [InlineData("img_{0f8fad5bd9cb469fa16570867728950e}")]
    [InlineData(" img_0f8fad5bd9cb469fa16570867728950e")]
    public void Anything_else_is_no_image_id(string? id)
    {
        PublicIds.TryParse(id, PublicIds.ImagePrefix, out var jobId).ShouldBeFalse();
        jobId.ShouldBe(Guid.Empty);
    }
}

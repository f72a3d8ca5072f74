using System.Text;
using CCApi.Adapters.Hosting;
using CCApi.Adapters.StabilityAI.Upstream;

namespace CCApi.Adapters.StabilityAI.Tests.Unit;

/// <summary>Stability's response and error bodies → images, seeds and CCAPI errors.</summary>
public sealed class UpstreamBodiesTests
{
    private static readonly string Png = Convert.ToBase64String([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]);

    private static IReadOnlyList<ProviderImage> Read(string json) => ArtifactReader.Read(Encoding.UTF8.GetBytes(json), "stabilityai");

    private static UpstreamException Fails(string json) => Should.Throw<UpstreamException>(() => Read(json));

    [Fact]
    public void Reads_every_artifact_with_its_seed()
    {
        var artifacts = Read($$"""{"artifacts":[{"base64":"{{Png}}","seed":1050625087,"finishReason":"SUCCESS"},{"base64":"{{Png}}","seed":4294967295,"finishReason":"SUCCESS"}]}""");

        artifacts.Count.ShouldBe(2);
        artifacts.Select(a => a.Seed).ShouldBe([1050625087L, 4294967295L]);
        artifacts.ShouldAllBe(a => a.ContentType == "image/png");
    }

    [Fact]
    public void Accepts_the_bare_array_the_reference_schema_shows()
    {
        Read($$"""[{"base64":"{{Png}}","seed":1,"finishReason":"SUCCESS"}]""").ShouldHaveSingleItem().Seed.ShouldBe(1);
    }

    [Fact]
    public void A_content_filtered_artifact_fails_the_job_with_a_400_content_policy_error()
    {
        var error = Fails($$"""{"artifacts":[{"base64":"{{Png}}","seed":1,"finishReason":"SUCCESS"},{"base64":"{{Png}}","seed":2,"finishReason":"CONTENT_FILTERED"}]}""").Error;

        error.Status.ShouldBe(400);
        error.Type.ShouldBe("invalid_request_error");
        error.Code.ShouldBe("content_policy_violation");
        error.Message.ShouldContain("1 of 2");
        error.Details!["param"].ShouldBe("prompt");
    }

    [Fact]
    public void An_artifact_with_finish_reason_ERROR_is_a_502()
    {
        var error = Fails($$"""{"artifacts":[{"base64":"{{Png}}","seed":1,"finishReason":"ERROR"}]}""").Error;

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_error");
    }

    [Theory]
    [InlineData("{\"artifacts\": [ {\"base64\": \"iVBOR")]
    [InlineData("{\"images\":[]}")]
    [InlineData("{\"artifacts\":[]}")]
    [InlineData("{\"artifacts\":[{\"base64\":\"###\",\"finishReason\":\"SUCCESS\"}]}")]
    [InlineData("{\"artifacts\":[{\"base64\":\"aGVsbG8gd29ybGQ=\",\"finishReason\":\"SUCCESS\"}]}")]
    [InlineData("{\"artifacts\":[{\"seed\":1,\"finishReason\":\"SUCCESS\"}]}")]
    public void Anything_else_is_a_502_malformed_response(string json)
    {
        var error = Fails(json).Error;

        error.Status.ShouldBe(502);
        error.Message.ShouldContain("malformed");
    }

    [Fact]
    public void Reads_Stabilitys_error_body_with_its_name_as_the_provider_code_and_the_CCAPI_field()
    {
        var body = StabilityErrorBody.Parse("""{"id":"296a972f-666a-44a1-a3df-c9c28a1f56c0","name":"bad_request","message":"init_image: is required"}""");

        body.ShouldNotBeNull();
        body.Message.ShouldBe("init_image: is required");
        body.Code.ShouldBe("bad_request");
        body.Param.ShouldBe("contents");
    }

    [Theory]
    [InlineData("invalid_prompts", "One or more prompts contains filtered words.", "prompt")]
    [InlineData("invalid_samples", "Sample count may only be greater than 1 when the accept header is set to `application/json`", "n")]
    [InlineData("bad_request", "height: must be in increments of 64", "size")]
    [InlineData("bad_request", "text_prompts[0].text: length must be at most 2000", "prompt")]
    [InlineData("bad_request", "cfg_scale: must be a number between 0 and 35", "parameters.guidance_scale")]
    [InlineData("bad_request", "sampler: value must be one of …", null)]
    [InlineData("not_found", "The specified engine (ID some-fake-engine) was not found.", null)]
    public void Names_the_CCAPI_field_a_Stability_error_is_about(string name, string message, string? field)
    {
        StabilityErrorBody.FieldOf(name, message).ShouldBe(field);
    }

    [Fact]
    public void Maps_a_Stability_400_to_a_CCAPI_400_keeping_the_providers_message()
    {
        var error = UpstreamErrors.FromStatus("stabilityai", 400,
            StabilityErrorBody.Parse("""{"id":"x","name":"invalid_prompts","message":"One or more prompts contains filtered words."}"""));

        error.Status.ShouldBe(400);
        error.Message.ShouldContain("One or more prompts contains filtered words.");
        error.Details!["param"].ShouldBe("prompt");
        error.Details["provider_code"].ShouldBe("invalid_prompts");
    }

    [Fact]
    public void Falls_back_to_the_common_error_shapes()
    {
        StabilityErrorBody.Parse("""{"error":{"message":"upstream proxy said no"}}""")!.Message.ShouldBe("upstream proxy said no");
        StabilityErrorBody.Parse("<html>502 Bad Gateway</html>").ShouldBeNull();
        StabilityErrorBody.Parse(null).ShouldBeNull();
    }
}

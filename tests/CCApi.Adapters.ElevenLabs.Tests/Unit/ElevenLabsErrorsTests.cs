using CCApi.Adapters.ElevenLabs.Upstream;
using CCApi.Adapters.Hosting;

namespace CCApi.Adapters.ElevenLabs.Tests.Unit;

public sealed class ElevenLabsErrorsTests
{
    [Fact]
    public void Reads_the_legacy_detail_object_with_status_as_the_code()
    {
        var parsed = ElevenLabsErrors.Parse("""{"detail":{"status":"invalid_uid","message":"An invalid ID has been received: 'x'."}}""").ShouldNotBeNull();

        parsed.Message.ShouldBe("An invalid ID has been received: 'x'.");
        parsed.Code.ShouldBe("invalid_uid");
        parsed.Param.ShouldBeNull();
    }

    [Fact]
    public void Reads_the_documented_detail_object_preferring_code_and_naming_the_CCAPI_field()
    {
        var parsed = ElevenLabsErrors.Parse(
            """{"detail":{"type":"validation_error","code":"invalid_parameters","message":"Bad text.","status":"invalid_parameters","request_id":"3c80","param":"text"}}""")
            .ShouldNotBeNull();

        parsed.Message.ShouldBe("Bad text.");
        parsed.Type.ShouldBe("validation_error");
        parsed.Code.ShouldBe("invalid_parameters");
        parsed.Param.ShouldBe("input");
    }

    [Theory]
    [InlineData("voice_not_found", "voice")]
    [InlineData("max_character_limit_exceeded", "input")]
    [InlineData("model_not_found", "model")]
    public void Knows_the_field_of_codes_that_name_none(string code, string field)
    {
        ElevenLabsErrors.Parse($$$"""{"detail":{"status":"{{{code}}}","message":"m"}}""")!.Param.ShouldBe(field);
    }

    [Fact]
    public void Reads_a_422_validation_list_as_field_and_message_pairs_with_the_first_field_as_param()
    {
        var parsed = ElevenLabsErrors.Parse(
            """{"detail":[{"type":"less_than_equal","loc":["body","voice_settings","speed"],"msg":"Input should be less than or equal to 1.2","input":1.5},{"type":"enum","loc":["query","output_format"],"msg":"Input should be 'mp3_44100_128'"}]}""")
            .ShouldNotBeNull();

        parsed.Message.ShouldBe("speed: Input should be less than or equal to 1.2; response_format: Input should be 'mp3_44100_128'");
        parsed.Param.ShouldBe("speed");
        parsed.Code.ShouldBe("validation_error");
        parsed.Type.ShouldBe("less_than_equal");
    }

    [Fact]
    public void Names_list_items_by_index_and_drops_where_the_field_was()
    {
        ElevenLabsErrors.Parse("""{"detail":[{"loc":["body","pronunciation_dictionary_locators",0,"version_id"],"msg":"Field required"}]}""")!
            .Message.ShouldBe("pronunciation_dictionary_locators[0].version_id: Field required");
    }

    [Fact]
    public void Reads_a_plain_text_detail()
    {
        ElevenLabsErrors.Parse("""{"detail":"Not Found"}""")!.Message.ShouldBe("Not Found");
    }

    [Theory]
    [InlineData("")]
    [InlineData("<html>Bad gateway</html>")]
    [InlineData("{\"unrelated\":true}")]
    [InlineData("{\"detail\":[]}")]
    public void Reads_no_message_from_bodies_of_another_shape(string body) => ElevenLabsErrors.Parse(body).ShouldBeNull();

    [Fact]
    public void Falls_back_to_the_common_shapes()
    {
        ElevenLabsErrors.Parse("""{"error":{"message":"m","code":"c"}}""")!.Message.ShouldBe("m");
    }

    [Fact]
    public void Makes_a_provider_404_a_400_that_keeps_ElevenLabs_message_and_names_the_field()
    {
        var error = UpstreamErrors.FromStatus("elevenlabs", 404,
            ElevenLabsErrors.Parse("""{"detail":{"status":"voice_not_found","message":"A voice with the voice_id foo was not found."}}"""));

        error.Status.ShouldBe(400);
        error.Message.ShouldContain("A voice with the voice_id foo was not found.");
        error.Details!["param"].ShouldBe("voice");
        error.Details["provider_code"].ShouldBe("voice_not_found");
    }

    [Fact]
    public void Quota_exhaustion_is_a_503_that_blames_the_platform_account_not_the_client()
    {
        var error = ElevenLabsErrors.QuotaExceeded("elevenlabs");

        error.Status.ShouldBe(503);
        error.Code.ShouldBe("provider_unavailable");
        error.Message.ShouldContain("platform's elevenlabs character quota");
        error.Details!["upstream_status"].ShouldBe("401");
    }
}

using System.Text;
using System.Text.Json;
using CCApi.Adapters.Hosting;
using CCApi.Adapters.ImaginePro.Upstream;
using CCApi.Storage;

namespace CCApi.Adapters.ImaginePro.Tests.Unit;

/// <summary>ImaginePro's JSON in and out, without a server.</summary>
public sealed class ImagineProWireTests
{
    private const string Provider = "imaginepro";

    private static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json);

    [Fact]
    public void Writes_images_first_then_the_prompt_with_model_ref_and_timeout()
    {
        var body = ImagineProWire.SubmitBody("nano-banana", ["https://x.example/a.png"], "make it red", "job-1", TimeSpan.FromMinutes(5));

        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        root.GetProperty("model").GetString().ShouldBe("nano-banana");
        root.GetProperty("contents").GetRawText().ShouldBe("""[{"type":"image","url":"https://x.example/a.png"},{"type":"text","text":"make it red"}]""");
        root.GetProperty("ref").GetString().ShouldBe("job-1");
        root.GetProperty("timeout").GetInt32().ShouldBe(300);
    }

    [Theory]
    [InlineData(1, 10)]
    [InlineData(299.2, 300)]
    [InlineData(3600, 900)]
    public void Clamps_the_provider_timeout_to_what_ImaginePro_accepts(double seconds, int expected) =>
        ImagineProWire.TimeoutSeconds(TimeSpan.FromSeconds(seconds)).ShouldBe(expected);

    [Fact]
    public void Reads_the_message_id_of_an_accepted_submission() =>
        ImagineProWire.ReadSubmit(Utf8("""{"success":true,"messageId":"d15c1541-229a","createdAt":"2023-08-01T14:03:01.817Z"}"""), Provider).ShouldBe("d15c1541-229a");

    [Fact]
    public void A_refused_submission_with_a_moderation_error_is_a_400_content_policy_violation()
    {
        var ex = Should.Throw<UpstreamException>(() => ImagineProWire.ReadSubmit(Utf8("""{"success":false,"error":"Prompt contains banned words: gore"}"""), Provider));

        ex.Error.Status.ShouldBe(400);
        ex.Error.Code.ShouldBe(ImagineProWire.ContentPolicyViolation);
        ex.Error.Message.ShouldContain("banned words: gore");
    }

    [Fact]
    public void A_refused_submission_for_another_reason_is_a_502_with_the_providers_words()
    {
        var ex = Should.Throw<UpstreamException>(() => ImagineProWire.ReadSubmit(Utf8("""{"success":false,"error":"Insufficient credits"}"""), Provider));

        ex.Error.Status.ShouldBe(502);
        ex.Error.Message.ShouldContain("Insufficient credits");
    }

    [Theory]
    [InlineData("""{"success":true}""")]
    [InlineData("""{"success": true, "messageId": """)]
    [InlineData("""[1,2]""")]
    public void A_submission_answer_without_a_message_id_is_malformed(string json)
    {
        var ex = Should.Throw<UpstreamException>(() => ImagineProWire.ReadSubmit(Utf8(json), Provider));

        ex.Error.Status.ShouldBe(502);
        ex.Error.Message.ShouldContain("malformed");
    }

    [Theory]
    [InlineData("""{"status":"PROCESSING","progress":45}""", "PROCESSING", 45)]
    [InlineData("""{"status":"PROCESSING","progress":"45"}""", "PROCESSING", 45)]
    [InlineData("""{"status":"PROCESSING","progress":"62.5%"}""", "PROCESSING", 62)]
    [InlineData("""{"status":"QUEUED"}""", "QUEUED", 0)]
    [InlineData("""{"status":"PROCESSING","progress":250}""", "PROCESSING", 100)]
    [InlineData("""{"status":"processing","progress":null}""", "PROCESSING", 0)]
    public void Reads_status_and_progress_given_as_a_number_or_a_string_out_of_100(string json, string status, int progress)
    {
        var message = ImagineProWire.ReadMessage(Utf8(json), "m1", Provider);

        message.Status.ShouldBe(status);
        message.Progress.ShouldBe(progress);
        message.MessageId.ShouldBe("m1");
    }

    [Fact]
    public void A_done_message_carries_the_cdn_uri_and_falls_back_to_the_original_url()
    {
        ImagineProWire.ReadMessage(Utf8("""{"messageId":"m1","status":"DONE","progress":100,"uri":"https://cdn.imaginepro.ai/a.png","originalUrl":"https://cdn.discordapp.com/a.png"}"""), "m1", Provider)
            .ImageUrl.ShouldBe("https://cdn.imaginepro.ai/a.png");
        ImagineProWire.ReadMessage(Utf8("""{"messageId":"m1","status":"DONE","progress":100,"originalUrl":"https://cdn.discordapp.com/a.png"}"""), "m1", Provider)
            .ImageUrl.ShouldBe("https://cdn.discordapp.com/a.png");
    }

    [Theory]
    [InlineData("""{"status":"DONE","progress":100}""", "without an image URL")]
    [InlineData("""{"status":"CANCELLED"}""", "unknown message status 'CANCELLED'")]
    [InlineData("""{"progress":10}""", "without a status")]
    [InlineData("""not json""", "not valid JSON")]
    public void A_message_the_adapter_cannot_act_on_is_malformed(string json, string what)
    {
        var ex = Should.Throw<UpstreamException>(() => ImagineProWire.ReadMessage(Utf8(json), "m1", Provider));

        ex.Error.Status.ShouldBe(502);
        ex.Error.Message.ShouldContain(what);
    }

    [Theory]
    [InlineData("""{"statusCode":400,"message":"contents must be a non-empty array","error":"Bad Request"}""", "contents must be a non-empty array")]
    [InlineData("""{"statusCode":400,"message":["contents must be a non-empty array","model must be a string"],"error":"Bad Request"}""", "contents must be a non-empty array; model must be a string")]
    [InlineData("""{"error":{"message":"other shape"}}""", "other shape")]
    [InlineData("""{"error":"only a phrase"}""", "only a phrase")]
    public void Reads_the_message_of_NestJS_style_error_bodies(string body, string expected) =>
        ImagineProWire.ParseError(body).ShouldNotBeNull().Message.ShouldBe(expected);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("<html>bad gateway</html>")]
    public void An_unreadable_error_body_gives_no_message(string? body) => ImagineProWire.ParseError(body).ShouldBeNull();

    [Theory]
    [InlineData("Request blocked by content moderation", true)]
    [InlineData("Your prompt was flagged as NSFW", true)]
    [InlineData("Banned prompt detected", true)]
    [InlineData("Upstream model timed out", false)]
    [InlineData(null, false)]
    public void Recognises_content_refusals_by_their_wording(string? error, bool moderation) =>
        ImagineProWire.IsModeration(error).ShouldBe(moderation);

    [Fact]
    public void Maps_a_FAIL_to_502_and_a_content_refusal_to_400()
    {
        ImagineProWire.Refused(Provider, "model crashed").Status.ShouldBe(502);
        ImagineProWire.Refused(Provider, null).Message.ShouldBe("Provider 'imaginepro' failed to generate the image.");
        var refused = ImagineProWire.Refused(Provider, "blocked by safety filter");
        refused.Status.ShouldBe(400);
        refused.Type.ShouldBe("invalid_request_error");
    }

    [Fact]
    public void Sniffs_png_jpeg_and_webp_and_nothing_else()
    {
        ImageBytes.SniffGenerated([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]).ShouldBe("image/png");
        ImageBytes.SniffGenerated([0xFF, 0xD8, 0xFF, 0xE0]).ShouldBe("image/jpeg");
        ImageBytes.SniffGenerated("RIFF\0\0\0\0WEBPVP8 "u8).ShouldBe("image/webp");
        ImageBytes.SniffGenerated("<html>"u8).ShouldBeNull();
    }
}

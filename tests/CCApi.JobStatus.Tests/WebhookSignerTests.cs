using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using CCApi.JobStatus.Webhooks;
using CCApi.Outbound;
using CCApi.ServiceDefaults;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace CCApi.JobStatus.Tests;

public class WebhookSignerTests
{
    // The test vector published with the Standard Webhooks specification (and used by its reference libraries' tests).
    private const string VectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string VectorId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long VectorTimestamp = 1614265330;
    private const string VectorBody = """{"test": 2432232314}""";
    private const string VectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    private const string Body = """{"id":"img_1","status":"completed"}""";

    [Fact]
    public void Signs_the_Standard_Webhooks_test_vector()
    {
        new WebhookSigner(VectorSecret).Sign(VectorId, DateTimeOffset.FromUnixTimeSeconds(VectorTimestamp), VectorBody).ShouldBe(VectorSignature);
    }

    [Fact]
    public void The_signature_is_v1_and_base64_hmac_sha256_of_id_dot_timestamp_dot_body_keyed_with_the_decoded_secret()
    {
        var key = Convert.FromBase64String(VectorSecret["whsec_".Length..]);
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{VectorId}.{VectorTimestamp}.{VectorBody}"));
        ("v1," + Convert.ToBase64String(mac)).ShouldBe(VectorSignature);
    }

    [Fact]
    public void The_reference_library_verifies_what_the_signer_signs_and_refuses_any_change()
    {
        var secret = WebhookSecret.Generate();
        var now = DateTimeOffset.UtcNow;
        var signature = new WebhookSigner(secret).Sign("msg_abc_completed", now, Body);
        var verifier = new StandardWebhook(secret);

        Should.NotThrow(() => verifier.Verify(Body, Headers("msg_abc_completed", now, signature)));
        Should.Throw<WebhookVerificationException>(() => verifier.Verify(Body.Replace("completed", "failed", StringComparison.Ordinal), Headers("msg_abc_completed", now, signature)));
        Should.Throw<WebhookVerificationException>(() => verifier.Verify(Body, Headers("msg_abc_failed", now, signature)));
        Should.Throw<WebhookVerificationException>(() => verifier.Verify(Body, Headers("msg_abc_completed", now.AddSeconds(1), signature)));
        Should.Throw<WebhookVerificationException>(() => new StandardWebhook(WebhookSecret.Generate()).Verify(Body, Headers("msg_abc_completed", now, signature)));
    }

    [Fact]
    public void The_message_id_is_stable_per_job_and_final_state()
    {
        WebhookSigner.MessageId("0123456789abcdef0123456789abcdef", "completed").ShouldBe("msg_0123456789abcdef0123456789abcdef_completed");
    }

    [Theory]
    [InlineData("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true)]               // 24 bytes
    [InlineData("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", true)]      // 32 bytes
    [InlineData("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false)]                     // no prefix
    [InlineData("whsec_AAAAAAAAAAAAAAAAAAAAAA==", false)]                       // 16 bytes: too short
    [InlineData("whsec_not base64!", false)]
    [InlineData("whsec-0123456789abcdef0123456789abcdef", false)]               // the old format
    [InlineData("", false)]
    public void Secrets_must_be_whsec_and_the_base64_of_24_to_64_bytes(string secret, bool valid)
    {
        (WebhookSecret.Problem(secret) is null).ShouldBe(valid);
        if (!valid)
        {
            Should.Throw<ArgumentException>(() => new WebhookSigner(secret));
        }
    }

    [Fact]
    public void Generated_secrets_are_valid_and_different()
    {
        var a = WebhookSecret.Generate();
        WebhookSecret.Problem(a).ShouldBeNull();
        WebhookSecret.TryDecode(a, out var key).ShouldBeTrue();
        key.Length.ShouldBe(32);
        WebhookSecret.Generate().ShouldNotBe(a);
    }

    [Fact]
    public void The_deprecated_header_is_t_and_v1_hex_hmac_sha256_of_timestamp_dot_body_keyed_with_the_secret_string()
    {
        var header = new WebhookSigner(VectorSecret).SignLegacy(DateTimeOffset.FromUnixTimeSeconds(1763683200), Body);

        header.ShouldMatch("^t=1763683200,v1=[0-9a-f]{64}$");
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(VectorSecret), Encoding.UTF8.GetBytes("1763683200." + Body)));
        Regex.Match(header, "v1=([0-9a-f]+)").Groups[1].Value.ShouldBe(expected);
        LegacySignature.Verify(VectorSecret, header, Body).ShouldBeTrue();
        LegacySignature.Verify(VectorSecret, header, Body.Replace("completed", "failed", StringComparison.Ordinal)).ShouldBeFalse();
        LegacySignature.Verify(VectorSecret, header.Replace("t=1763683200", "t=1763683201", StringComparison.Ordinal), Body).ShouldBeFalse();
        LegacySignature.Verify(VectorSecret, "garbage", Body).ShouldBeFalse();
    }

    private static HeaderDictionary Headers(string id, DateTimeOffset timestamp, string signature) => new()
    {
        [WebhookSigner.IdHeader] = id,
        [WebhookSigner.TimestampHeader] = timestamp.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
        [WebhookSigner.SignatureHeader] = signature,
    };
}

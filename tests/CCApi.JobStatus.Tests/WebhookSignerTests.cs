using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using CCApi.JobStatus.Webhooks;

namespace CCApi.JobStatus.Tests;

public class WebhookSignerTests
{
    private const string Secret = "whsec-0123456789abcdef";
    private const string Body = """{"id":"img_1","status":"completed"}""";

    [Fact]
    public void The_signature_is_t_and_v1_hex_hmac_sha256_of_timestamp_dot_body()
    {
        var header = WebhookSigner.Sign(Secret, 1763683200, Body);

        header.ShouldMatch("^t=1763683200,v1=[0-9a-f]{64}$");
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes("1763683200." + Body)));
        Regex.Match(header, "v1=(.*)$").Groups[1].Value.ShouldBe(expected);
    }

    [Fact]
    public void Verification_fails_when_body_timestamp_or_secret_differ()
    {
        var header = WebhookSigner.Sign(Secret, 1763683200, Body);

        WebhookSigner.Verify(Secret, header, Body).ShouldBeTrue();
        WebhookSigner.Verify(Secret, header, Body.Replace("completed", "failed", StringComparison.Ordinal)).ShouldBeFalse();
        WebhookSigner.Verify(Secret, header.Replace("t=1763683200", "t=1763683201", StringComparison.Ordinal), Body).ShouldBeFalse();
        WebhookSigner.Verify("another-secret-0123456789", header, Body).ShouldBeFalse();
        WebhookSigner.Verify(Secret, "garbage", Body).ShouldBeFalse();
    }
}

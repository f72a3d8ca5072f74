using CCApi.Storage;
using Microsoft.Extensions.Options;

namespace CCApi.Shared.Tests;

public sealed class BlobUrlSignerTests
{
    private readonly ManualTime _time = new(DateTimeOffset.Parse("2026-11-21T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private BlobUrlSigner Signer(string key = "0123456789abcdef0123456789abcdef-key") =>
        new(Options.Create(new BlobUrlOptions { SigningKey = key, Ttl = TimeSpan.FromHours(1) }), _time);

    [Fact]
    public void A_signed_url_verifies_until_it_expires()
    {
        var signer = Signer();
        var (id, expires, signature) = Parse(signer.Sign("http://h:8080/", "abc123", "png"));

        id.ShouldBe("abc123.png");
        signer.Verify("abc123", expires, signature).ShouldBeTrue();
        _time.Advance(TimeSpan.FromMinutes(61));
        signer.Verify("abc123", expires, signature).ShouldBeFalse();
    }

    [Fact]
    public void Tampering_with_the_blob_the_expiry_or_the_key_breaks_the_signature()
    {
        var signer = Signer();
        var (_, expires, signature) = Parse(signer.Sign("http://h", "abc123"));

        signer.Verify("abc124", expires, signature).ShouldBeFalse();
        signer.Verify("abc123", (long.Parse(expires!, System.Globalization.CultureInfo.InvariantCulture) + 3600).ToString(System.Globalization.CultureInfo.InvariantCulture), signature).ShouldBeFalse();
        Signer("another-key-0123456789abcdef0123456789").Verify("abc123", expires, signature).ShouldBeFalse();
        signer.Verify("abc123", null, signature).ShouldBeFalse();
        signer.Verify("abc123", "soon", signature).ShouldBeFalse();
        signer.Verify("abc123", expires, null).ShouldBeFalse();
        signer.Verify("abc123", long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture), signature).ShouldBeFalse();
    }

    private static (string Id, string? Expires, string? Signature) Parse(string url)
    {
        var uri = new Uri(url);
        uri.AbsolutePath.ShouldStartWith(BlobUrlSigner.PathPrefix);
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(uri.Query);
        return (uri.AbsolutePath[BlobUrlSigner.PathPrefix.Length..], query["expires"], query["signature"]);
    }

    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;
        public override DateTimeOffset GetUtcNow() => _now;
        public void Advance(TimeSpan by) => _now += by;
    }
}

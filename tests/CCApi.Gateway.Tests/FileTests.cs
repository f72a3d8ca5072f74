using CCApi.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CCApi.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class FileTests(GatewayFixture gateway)
{
    private async Task<(string BlobId, Uri Url)> SignedAsync()
    {
        var blob = await gateway.Factory.Services.GetRequiredService<IBlobStore>().PutAsync(FakeProviders.Png, "image/png");
        var signer = gateway.Factory.Services.GetRequiredService<BlobUrlSigner>();
        return (blob.Id, new Uri(signer.Sign("http://localhost", blob.Id, "png")));
    }

    [Theory]
    [InlineData("/v1")]
    [InlineData("")]
    public async Task Serves_a_blob_behind_a_valid_signature_without_a_bearer_key(string prefix)
    {
        var (_, url) = await SignedAsync();

        var response = await gateway.Anonymous.GetAsync(prefix + url.PathAndQuery[3..]);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("image/png");
        response.Headers.CacheControl!.Private.ShouldBeTrue();
        (await response.Content.ReadAsByteArrayAsync()).ShouldBe(FakeProviders.Png);
    }

    [Fact]
    public async Task Serves_byte_ranges_so_media_elements_can_seek()
    {
        var (_, url) = await SignedAsync();
        var full = FakeProviders.Png;

        using var whole = await gateway.Anonymous.GetAsync(url.PathAndQuery);
        using var first = new HttpRequestMessage(HttpMethod.Get, url.PathAndQuery) { Headers = { Range = new(0, 3) } };
        using var head = await gateway.Anonymous.SendAsync(first);
        using var last = new HttpRequestMessage(HttpMethod.Get, url.PathAndQuery) { Headers = { Range = new(null, 5) } };
        using var tail = await gateway.Anonymous.SendAsync(last);
        using var beyond = new HttpRequestMessage(HttpMethod.Get, url.PathAndQuery) { Headers = { Range = new(full.Length + 10, null) } };
        using var outside = await gateway.Anonymous.SendAsync(beyond);

        whole.Headers.AcceptRanges.ShouldContain("bytes");
        head.StatusCode.ShouldBe(HttpStatusCode.PartialContent);
        head.Content.Headers.ContentRange!.ToString().ShouldBe($"bytes 0-3/{full.Length}");
        (await head.Content.ReadAsByteArrayAsync()).ShouldBe(full[..4]);
        tail.StatusCode.ShouldBe(HttpStatusCode.PartialContent);
        (await tail.Content.ReadAsByteArrayAsync()).ShouldBe(full[^5..]);
        outside.StatusCode.ShouldBe(HttpStatusCode.RequestedRangeNotSatisfiable);
        outside.Content.Headers.ContentRange!.ToString().ShouldBe($"bytes */{full.Length}");
        var error = (await GatewayFixture.ReadJsonAsync(outside))["error"]!;
        error["code"]!.GetValue<string>().ShouldBe("range_not_satisfiable");
        error["details"]!["param"]!.GetValue<string>().ShouldBe("Range");
    }

    [Fact]
    public async Task Answers_403_invalid_signature_for_a_tampered_signature_or_expiry_or_blob()
    {
        var (blobId, url) = await SignedAsync();
        var (otherId, _) = await SignedAsync();
        var query = System.Web.HttpUtility.ParseQueryString(url.Query);
        var expires = query["expires"]!;
        var signature = query["signature"]!;
        var flipped = (signature[0] == 'a' ? 'b' : 'a') + signature[1..];

        foreach (var path in new[]
        {
            $"/v1/files/{blobId}.png?expires={expires}&signature={flipped}",
            $"/v1/files/{blobId}.png?expires={long.Parse(expires) + 3600}&signature={signature}",
            $"/v1/files/{otherId}.png?expires={expires}&signature={signature}",
            $"/v1/files/{blobId}.png?expires={expires}",
            $"/v1/files/{blobId}.png",
            $"/v1/files/{blobId}.png?expires=abc&signature={signature}",
            $"/v1/files/{blobId}.png?expires={expires}&signature={signature}&signature={signature}",
        })
        {
            var response = await gateway.Anonymous.GetAsync(path);
            response.StatusCode.ShouldBe(HttpStatusCode.Forbidden, path);
            var error = (await GatewayFixture.ReadJsonAsync(response))["error"]!;
            error["code"]!.GetValue<string>().ShouldBe("invalid_signature");
        }
    }

    [Fact]
    public async Task Answers_403_for_an_expired_url()
    {
        var (blobId, _) = await SignedAsync();
        var expired = new BlobUrlSigner(
            Options.Create(new BlobUrlOptions { SigningKey = TestInfrastructure.SigningKey, Ttl = TimeSpan.FromMinutes(1) }),
            new ShiftedTime(TimeSpan.FromMinutes(-5)));

        var response = await gateway.Anonymous.GetAsync(new Uri(expired.Sign("http://localhost", blobId)).PathAndQuery);

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Answers_404_for_a_validly_signed_blob_that_does_not_exist()
    {
        var signer = gateway.Factory.Services.GetRequiredService<BlobUrlSigner>();
        var url = new Uri(signer.Sign("http://localhost", RedisBlobStore.NewId()));

        var response = await gateway.Anonymous.GetAsync(url.PathAndQuery);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await GatewayFixture.ReadJsonAsync(response))["error"]!["code"]!.GetValue<string>().ShouldBe("not_found");
    }

    private sealed class ShiftedTime(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }
}

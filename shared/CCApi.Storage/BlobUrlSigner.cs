using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace CCApi.Storage;

/// <summary>
/// Signed, expiring URLs for blobs, served by the gateway at <c>/v1/files/{id}?expires=&amp;signature=</c>. The URL is its
/// own credential (so an &lt;img src&gt; works without a bearer header); it cannot be forged or extended.
/// </summary>
public sealed class BlobUrlSigner(IOptions<BlobUrlOptions> options, TimeProvider time)
{
    public const string PathPrefix = "/v1/files/";

    private readonly byte[] _key = Encoding.UTF8.GetBytes(options.Value.SigningKey ?? "");

    public string? PublicBaseUrl => options.Value.PublicBaseUrl?.TrimEnd('/');

    public string Sign(string baseUrl, string blobId, string? extension = null)
    {
        var expires = time.GetUtcNow().Add(options.Value.Ttl).ToUnixTimeSeconds();
        var name = extension is null ? blobId : $"{blobId}.{extension}";
        return $"{baseUrl.TrimEnd('/')}{PathPrefix}{name}?expires={expires}&signature={Signature(blobId, expires)}";
    }

    public bool Verify(string blobId, string? expires, string? signature)
    {
        if (!long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var exp) || signature is null)
        {
            return false;
        }

        if (exp < time.GetUtcNow().ToUnixTimeSeconds() || exp > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Signature(blobId, exp));
        var actual = Encoding.ASCII.GetBytes(signature);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    private string Signature(string blobId, long expires) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{blobId}:{expires}")))[..32];
}

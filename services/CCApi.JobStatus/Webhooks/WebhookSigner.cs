using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CCApi.Outbound;
using CCApi.ServiceDefaults;
using StandardWebhooks;

namespace CCApi.JobStatus.Webhooks;

/// <summary>
/// Standard Webhooks signatures (standardwebhooks.com), made by the reference library: <c>webhook-signature: v1,</c> +
/// base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")), where the key is the base64-decoded part of the
/// <c>whsec_</c> secret. Every official verifier (C#, Python, Node, Go, ...) accepts what this signs.
/// </summary>
public sealed class WebhookSigner
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    private readonly StandardWebhook _webhook;
    private readonly string _secret;

    public WebhookSigner(string secret)
    {
        if (!WebhookSecret.TryDecode(secret, out var key))
        {
            throw new ArgumentException($"The webhook secret {WebhookSecret.Problem(secret)}.", nameof(secret));
        }

        _secret = secret;
        _webhook = new StandardWebhook(key);
    }

    /// <summary>
    /// The message id: one per job's final event, the same for every attempt and for a redelivery (it is the same
    /// message), so a receiver can drop duplicates by it.
    /// </summary>
    public static string MessageId(string jobIdN, string state) => $"msg_{jobIdN}_{state}";

    /// <summary>The <c>webhook-signature</c> value for one attempt.</summary>
    public string Sign(string messageId, DateTimeOffset timestamp, string body) => _webhook.Sign(messageId, timestamp, body);

    /// <summary>The deprecated <c>X-CCAPI-Signature</c> value, sent for one more release.</summary>
    public string SignLegacy(DateTimeOffset timestamp, string body) => LegacySignature.Sign(_secret, timestamp.ToUnixTimeSeconds(), body);
}

/// <summary>
/// DEPRECATED (removed in the next release): <c>X-CCAPI-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret
/// string as UTF-8, "&lt;t&gt;.&lt;body&gt;")&gt;</c>. Receivers should verify <c>webhook-signature</c> instead.
/// </summary>
public static class LegacySignature
{
    public const string HeaderName = "X-CCAPI-Signature";

    public static string Sign(string secret, long timestamp, string body)
    {
        var t = timestamp.ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{body}"));
        return $"t={t},v1={Convert.ToHexStringLower(mac)}";
    }

    /// <summary>What a receiver of the old header does: recompute and compare in constant time.</summary>
    public static bool Verify(string secret, string header, string body)
    {
        var parts = header.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        if (!parts.TryGetValue("t", out var t) || !parts.TryGetValue("v1", out var v1)
            || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Sign(secret, timestamp, body)), Encoding.ASCII.GetBytes($"t={t},v1={v1}"));
    }
}

using System.Security.Cryptography;

namespace CCApi.Outbound;

/// <summary>
/// The Standard Webhooks secret format: <c>whsec_</c> + base64 of the HMAC key (24 to 64 bytes here). JobStatus signs
/// with it; the gateway only checks that one is configured (no secret: <c>webhook_url</c> is refused at submit).
/// </summary>
public static class WebhookSecret
{
    public const string Prefix = "whsec_";
    public const int MinKeyBytes = 24;
    public const int MaxKeyBytes = 64;

    /// <summary>Why <paramref name="secret"/> is not a usable secret, or null when it is.</summary>
    public static string? Problem(string? secret)
    {
        if (string.IsNullOrEmpty(secret) || !secret.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return $"must start with '{Prefix}' followed by the base64 of {MinKeyBytes} to {MaxKeyBytes} random bytes";
        }

        return TryDecode(secret, out _) ? null : $"must be '{Prefix}' followed by the base64 of {MinKeyBytes} to {MaxKeyBytes} random bytes";
    }

    /// <summary>The HMAC key inside a valid secret.</summary>
    public static bool TryDecode(string? secret, out byte[] key)
    {
        key = [];
        if (string.IsNullOrEmpty(secret) || !secret.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var encoded = secret.AsSpan(Prefix.Length);
        var buffer = new byte[(encoded.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64Chars(encoded, buffer, out var written) || written is < MinKeyBytes or > MaxKeyBytes)
        {
            return false;
        }

        key = buffer[..written];
        return true;
    }

    /// <summary>A new secret of 32 random bytes (what run.sh generates too).</summary>
    public static string Generate() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}

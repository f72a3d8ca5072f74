using CCApi.Outbound;

namespace CCApi.Gateway.Api;

/// <summary>
/// The gateway's view of webhooks: the same <c>Webhooks:Secret</c> JobStatus signs with (one setting, one Secret in
/// Kubernetes, so the two cannot disagree). The gateway never signs: it only refuses <c>webhook_url</c> with 400 when no
/// secret is configured, because such a webhook could never be sent (webhooks are never sent unsigned).
/// </summary>
public sealed class WebhookSubmitOptions
{
    public const string SectionName = "Webhooks";

    /// <summary><c>whsec_</c> + base64 of 24..64 bytes, or unset (webhooks off). Never logged.</summary>
    public string? Secret { get; set; }

    public bool Enabled => !string.IsNullOrEmpty(Secret);

    public bool IsValid => !Enabled || WebhookSecret.Problem(Secret) is null;

    /// <summary>Throws the 400 for a <c>webhook_url</c> this platform cannot honour.</summary>
    public void EnsureAccepted(string? webhookUrl)
    {
        if (webhookUrl is not null && !Enabled)
        {
            throw ApiException.BadField("webhook_url",
                "'webhook_url' cannot be used: webhooks are not configured on this platform (no signing secret). Poll the job instead.");
        }
    }
}

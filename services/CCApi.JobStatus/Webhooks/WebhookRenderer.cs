using CCApi.JobStatus.Jobs;
using CCApi.ServiceDefaults;
using CCApi.Storage;

namespace CCApi.JobStatus.Webhooks;

/// <summary>Turns a finished job into the public response a webhook receiver gets (spec 3.16).</summary>
public sealed partial class WebhookRenderer(BlobUrlSigner signer, IBlobStore blobs, ILogger<WebhookRenderer> logger)
{
    public async Task<WebhookPayload> RenderAsync(JobView job, CancellationToken cancellationToken)
    {
        IReadOnlyList<WebhookImage>? data = null;
        if (job.State == JobStates.Completed)
        {
            var images = new List<WebhookImage>();
            foreach (var image in job.Images ?? [])
            {
                var b64 = job.ResponseFormat == "b64_json" ? await Base64Async(job, image.Blob.Id, cancellationToken) : null;
                images.Add(new WebhookImage
                {
                    Url = b64 is null ? signer.Sign(signer.PublicBaseUrl ?? "", image.Blob.Id, ExtensionFor(image.Blob.ContentType)) : null,
                    B64Json = b64,
                    RevisedPrompt = image.RevisedPrompt ?? job.RevisedPrompt,
                    Seed = image.Seed,
                });
            }

            data = images;
        }

        return new WebhookPayload
        {
            Id = PublicIds.Of(JobKind.Image, job.Id),
            Created = job.Created,
            Model = job.Model ?? "",
            Status = job.State,
            Execution = new WebhookExecution(job.Mode ?? "async", job.Operation ?? "text-to-image", job.Provider ?? ""),
            Data = data,
            Progress = job.State == JobStates.Completed ? 100 : job.Progress,
            Error = job.State is JobStates.Failed or JobStates.Canceled && job.Error is { } e
                ? new ErrorObject(e.Message, e.Type, e.Code, e.Details)
                : null,
            Usage = job.State == JobStates.Completed && job.Usage is { } used
                ? new WebhookUsage(used.Images > 0 ? used.Images : data?.Count ?? 0, used.Cost > 0 ? used.Cost : null)
                : null,
        };
    }

    private async Task<string?> Base64Async(JobView job, string blobId, CancellationToken cancellationToken)
    {
        var blob = await blobs.GetAsync(blobId, cancellationToken);
        if (blob is null)
        {
            LogBlobMissing(logger, job.Id, blobId); // expired: the receiver gets a URL instead
            return null;
        }

        return Convert.ToBase64String(blob.Bytes);
    }

    /// <summary>A cosmetic file extension for signed URLs (the blob id is what is verified).</summary>
    private static string? ExtensionFor(string? contentType) => contentType?.ToLowerInvariant() switch
    {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        "image/gif" => "gif",
        _ => null,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: image blob {BlobId} has expired; the webhook carries a URL instead of b64_json")]
    private static partial void LogBlobMissing(ILogger logger, string jobId, string blobId);
}

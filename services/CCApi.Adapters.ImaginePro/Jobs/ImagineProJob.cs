using System.Diagnostics;
using System.Globalization;
using CCApi.Adapters.Hosting;
using CCApi.Adapters.ImaginePro.Upstream;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using MassTransit;
using Microsoft.Extensions.Options;

namespace CCApi.Adapters.ImaginePro.Jobs;

/// <summary>
/// One image job on ImaginePro, which works asynchronously: submit (once — the message ids are stored before any poll, so a
/// redelivered command resumes the same provider jobs), publish JobStarted, poll with a growing interval while publishing
/// JobProgressed whenever the provider's progress rises, then download the finished images (provider URLs, through the
/// SSRF guard) into the blob store. A FAIL ends the job (400 for content refusals, 502 otherwise); no result within
/// <see cref="ImagineProAdapterOptions.MaxPollDuration"/> of the submission ends it with 504.
/// </summary>
public sealed partial class ImagineProJob(
    ImagineProClient client,
    ImagineProTaskStore store,
    InputImageUrls inputUrls,
    IBlobStore blobs,
    IOptions<ImagineProAdapterOptions> options,
    TimeProvider time,
    ILogger<ImagineProJob> logger)
{
    private ImagineProAdapterOptions Options => options.Value;

    private string Provider => Options.Provider;

    /// <summary>The work of <see cref="AdapterJobRunner.RunAsync"/>: its token fires at the command's deadline or when the consumer stops.</summary>
    public async Task<ImageGenerated> RunAsync(ConsumeContext<GenerateImage> context, CancellationToken cancellationToken)
    {
        var command = context.Message;
        var request = ImagineProRequest.From(command, inputUrls);
        var tasks = await SubmitOnceAsync(command, request, cancellationToken);
        Activity.Current?.SetTag("imaginepro.message_ids", string.Join(",", tasks.MessageIds));

        await ImageJobEvents.StartedAsync(context, time);

        var finished = await PollAsync(context, tasks, cancellationToken);
        var images = new List<GeneratedImage>(finished.Count);
        foreach (var message in finished)
        {
            var image = await client.DownloadAsync(message.ImageUrl!, cancellationToken);
            images.Add(new GeneratedImage { Blob = await blobs.PutAsync(image.Bytes, image.ContentType, context.CancellationToken) });
        }

        LogCompleted(logger, command.JobId, images.Count);
        return ImageJobEvents.Generated(command, images, time: time);
    }

    /// <summary>
    /// The job's provider message ids: the stored ones (a redelivery), topped up to one per requested image by submitting —
    /// each accepted submission is stored at once, so a crash between two costs at most the one in flight.
    /// </summary>
    private async Task<ImagineProTasks> SubmitOnceAsync(GenerateImage command, ImagineProRequest request, CancellationToken cancellationToken)
    {
        var stored = await store.GetAsync(command.JobId);
        if (stored is { MessageIds.Count: > 0 })
        {
            LogResuming(logger, command.JobId, string.Join(",", stored.MessageIds));
        }

        var ids = stored?.MessageIds.ToList() ?? [];
        var submittedAt = stored?.SubmittedAt;
        var body = ImagineProWire.SubmitBody(command.Route.ProviderModel, request.ImageUrls, request.Prompt, command.JobId.ToString("N"), Options.MaxPollDuration);
        while (ids.Count < command.NumImages)
        {
            var messageId = await client.SubmitAsync(body, cancellationToken);
            ids.Add(messageId);
            submittedAt ??= time.GetUtcNow();
            await store.SaveAsync(command.JobId, new ImagineProTasks(submittedAt.Value, [.. ids]));
            LogSubmitted(logger, command.JobId, messageId, command.Route.ProviderModel);
        }

        return new ImagineProTasks(submittedAt ?? time.GetUtcNow(), ids);
    }

    /// <summary>Polls every message until all are DONE (returned in submission order), one FAILs, or time runs out.</summary>
    private async Task<IReadOnlyList<MessageStatus>> PollAsync(ConsumeContext<GenerateImage> context, ImagineProTasks tasks, CancellationToken cancellationToken)
    {
        var command = context.Message;
        var ids = tasks.MessageIds;
        var latest = new MessageStatus?[ids.Count];
        var giveUpAt = tasks.SubmittedAt + Options.MaxPollDuration;
        var published = 0;
        var failedRounds = 0;
        using var waits = PollSchedule.Intervals(Options).GetEnumerator();
        while (true)
        {
            waits.MoveNext();
            var left = giveUpAt - time.GetUtcNow();
            await Task.Delay(left <= TimeSpan.Zero ? TimeSpan.Zero : waits.Current < left ? waits.Current : left, time, cancellationToken);

            UpstreamException? roundFailure = null;
            for (var i = 0; i < ids.Count; i++)
            {
                if (latest[i] is { IsDone: true })
                {
                    continue;
                }

                try
                {
                    latest[i] = await client.FetchAsync(ids[i], cancellationToken);
                }
                catch (UpstreamException ex) when (IsTransient(ex.Error))
                {
                    roundFailure = ex;
                    continue;
                }
                catch (UpstreamException ex) when (ex.Error.Status == 400)
                {
                    // A 4xx on a poll is not the client's doing: the provider no longer knows its own job.
                    throw new UpstreamException(LostTask(ids[i], ex.Error), ex);
                }

                if (latest[i] is { IsFailed: true } failed)
                {
                    LogProviderFailed(logger, command.JobId, failed.MessageId, failed.Error);
                    throw new UpstreamException(ImagineProWire.Refused(Provider, failed.Error));
                }
            }

            if (roundFailure is not null)
            {
                failedRounds++;
                LogPollFailed(logger, command.JobId, failedRounds, Options.MaxConsecutivePollFailures, roundFailure.Error.Code);
                if (failedRounds >= Options.MaxConsecutivePollFailures)
                {
                    throw roundFailure;
                }
            }
            else
            {
                failedRounds = 0;
            }

            if (latest.All(m => m is { IsDone: true }))
            {
                return latest!;
            }

            var percent = latest.Sum(m => m is null ? 0 : m.IsDone ? 100 : m.Progress) / ids.Count;
            if (command.Async && percent > published)
            {
                published = percent;
                await ImageJobEvents.ProgressAsync(context, percent, latest.FirstOrDefault(m => m is { IsDone: false })?.Status.ToLowerInvariant(), time);
            }

            if (time.GetUtcNow() >= giveUpAt)
            {
                throw new UpstreamException(TimedOut(latest.FirstOrDefault(m => m is { IsDone: false })?.Status));
            }
        }
    }

    /// <summary>What a retry later can fix: rate limits, provider errors, timeouts, malformed answers, an open circuit.</summary>
    private static bool IsTransient(ErrorInfo error) =>
        error.Code is ErrorCodes.RateLimitExceeded or ErrorCodes.ProviderError or ErrorCodes.ProviderTimeout or ErrorCodes.ProviderUnavailable;

    private ErrorInfo TimedOut(string? lastStatus) => new()
    {
        Status = 504,
        Type = ErrorTypes.Api,
        Code = ErrorCodes.ProviderTimeout,
        Message = $"Provider '{Provider}' did not finish the image within {Options.MaxPollDuration.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s of its submission.",
        Details = lastStatus is null
            ? new Dictionary<string, string> { ["provider"] = Provider }
            : new Dictionary<string, string> { ["provider"] = Provider, ["provider_status"] = lastStatus },
    };

    private ErrorInfo LostTask(string messageId, ErrorInfo said) => new()
    {
        Status = 502,
        Type = ErrorTypes.Api,
        Code = ErrorCodes.ProviderError,
        Message = $"Provider '{Provider}' could not report on its job {messageId}: {said.Message}",
        Details = new Dictionary<string, string>(said.Details ?? new Dictionary<string, string>()) { ["provider"] = Provider },
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Image job {JobId}: submitted to ImaginePro as message {MessageId} (model {Model})")]
    private static partial void LogSubmitted(ILogger logger, Guid jobId, string messageId, string model);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image job {JobId} redelivered: resuming ImaginePro message(s) {MessageIds} instead of submitting again")]
    private static partial void LogResuming(ILogger logger, Guid jobId, string messageIds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image job {JobId}: poll round failed ({Failed} of {Max} in a row), {Code}")]
    private static partial void LogPollFailed(ILogger logger, Guid jobId, int failed, int max, string? code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image job {JobId}: ImaginePro message {MessageId} failed: {Error}")]
    private static partial void LogProviderFailed(ILogger logger, Guid jobId, string messageId, string? error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Image job {JobId}: {Count} image(s) downloaded from ImaginePro and stored")]
    private static partial void LogCompleted(ILogger logger, Guid jobId, int count);
}

using CCApi.Gateway.Http;
using CCApi.Gateway.Limits;

namespace CCApi.Gateway.Dispatch;

/// <summary>One attempt of a model request: the job it became, its model and route, and its deadline (null = async).</summary>
public sealed record ModelAttempt(Guid JobId, ModelEntry Model, JobRoute Route, DateTimeOffset? Deadline);

/// <summary>
/// What an attempt produced: the HTTP result, and the job's priced usage when the gateway has it (then the pipeline
/// settles it as the response is written), or <paramref name="HandOff"/> when the job goes on after the response
/// (an async job: its terminal event settles it). Neither: the request settles it itself (a stream) or it is released
/// when the request ends.
/// </summary>
public sealed record ModelOutcome<TResult>(TResult Result, Usage? Usage = null, bool HandOff = false);

/// <summary>
/// What a model route tells <see cref="ModelRequestPipeline"/>: where the model id comes from (failover candidates, in
/// order), the route's checks that need the model (<see cref="Plan"/>), the TPM estimate and maximum cost of the request,
/// whether the model runs asynchronously, and how to dispatch and render one attempt.
/// </summary>
public sealed record ModelRequest<TPlan, TResult>
{
    /// <summary>"POST /v1/chat/completions": named in model-type errors.</summary>
    public required string Route { get; init; }

    /// <summary>"chat", "image" or "audio".</summary>
    public required string ModelType { get; init; }

    public required JobKind Kind { get; init; }

    /// <summary>The model ids to try in order, each with the request field it came from ("model", "models[1]").</summary>
    public required IReadOnlyList<(string Field, string? Id)> Candidates { get; init; }

    /// <summary>
    /// The characters of text the route's checks and estimates count (chat: messages and tools): at
    /// <see cref="LargePromptOptions.Characters"/> or more, that counting waits for a <see cref="LargePromptGate"/> permit.
    /// </summary>
    public long Characters { get; init; }

    /// <summary>The route's validation that needs the resolved model (400s), called for every candidate before any dispatch.</summary>
    public required Func<ModelEntry, TPlan> Plan { get; init; }

    /// <summary>The TPM charge estimate of the request.</summary>
    public required Func<ModelEntry, TPlan, long> Tokens { get; init; }

    /// <summary>The request's maximum cost in nano-dollars at the model's price (called only for keys with credits).</summary>
    public required Func<ModelEntry, TPlan, long> Cost { get; init; }

    /// <summary>True when the model runs asynchronously (no deadline; the reservation is held until the terminal event).</summary>
    public Func<ModelEntry, bool> IsAsync { get; init; } = static _ => false;

    /// <summary>Builds the command, dispatches it and renders the answer.</summary>
    public required Func<ModelAttempt, TPlan, Task<ModelOutcome<TResult>>> Execute { get; init; }
}

/// <summary>
/// The one request pipeline of the model routes (chat, speech, both image routes), written once: the caller is already
/// authenticated (the route group's <see cref="ApiKeyEndpointFilter"/>; the idempotency filter sits on the same groups)
/// and the body validated by the handler; then resolve every candidate model (400/404) → a large request waits for its
/// counting permits (<see cref="LargePromptGate"/>: 429/503), held until its first admission → the route's model checks →
/// for each candidate in turn: shut down (400, <see cref="ModelEntry.ShutdownDate"/>) → the key's allow-list (403: never
/// worth a retry, so it comes before the provider's state) → provider available (503) → rate limits + credit reservation in one Redis call (<see cref="ModelAdmission"/>:
/// 429/402) → dispatch → settle the priced usage. A retriable failure (5xx,
/// 429 from the provider) moves to the next candidate, whose job holds its own reservation.
/// </summary>
public sealed partial class ModelRequestPipeline(
    CatalogAccess catalogs, LargePromptGate largePrompts, ModelAdmission admission, ProviderDispatcher dispatcher, CreditSettlement settlement,
    ILogger<ModelRequestPipeline> logger)
{
    public async Task<TResult> RunAsync<TPlan, TResult>(HttpContext http, ModelRequest<TPlan, TResult> request, CancellationToken cancellationToken)
    {
        var catalog = await catalogs.GetAsync(cancellationToken);
        var models = request.Candidates.Select(c => ModelResolution.Resolve(catalog, c.Id, c.Field, request.ModelType, request.Route)).ToList();

        // The model checks and the first admission's estimates count the request's text; a failover candidate's recount
        // comes after a provider's answer, so it is paced by that.
        await largePrompts.EnterBeforeCountingAsync(http, request.Characters, cancellationToken);
        var plans = models.Select(request.Plan).ToList();

        ApiException? last = null;
        for (var i = 0; i < models.Count; i++)
        {
            var (model, plan) = (models[i], plans[i]);
            var hasNext = i < models.Count - 1;
            // A candidate that cannot be asked is skipped: shut down (before the allow-list, whose 403 ends the request),
            // or its provider unavailable.
            var skipped = model.IsShutDown(dispatcher.Now) ? ModelResolution.ShutDown(model, request.Candidates[i].Field) : null;
            if (skipped is null)
            {
                http.GetCaller().EnsureAllowed(model);
                skipped = catalog.IsAvailable(model) ? null : ModelResolution.Unavailable(model);
            }

            if (skipped is not null)
            {
                last = skipped;
                if (hasNext)
                {
                    LogFailover(logger, model.Id, last.Status, last.Code, models[i + 1].Id);
                }

                continue;
            }

            var jobId = Guid.NewGuid();
            var isAsync = request.IsAsync(model);
            var deadline = isAsync ? (DateTimeOffset?)null : dispatcher.Deadline;
            var route = await admission.AdmitAsync(http, model, request.Tokens(model, plan), jobId, m => request.Cost(m, plan), deadline);
            LargePromptGate.Release(http); // counted: the dispatch does not hold the permits
            var hold = http.CreditHold()!;
            if (isAsync && hold.HeldUntilSettled)
            {
                settlement.RememberOwner(jobId, route.OwnerId); // a JobCanceled carries no route
            }

            ModelResolution.AnnounceSunset(http.Response, model);
            // Every answer names its job — audio bytes and event streams have no body id — as the ledger's usage.job_id
            // does (with the kind's prefix); a failover candidate's job replaces the previous one's.
            JobIds.Name(http.Response, jobId);
            try
            {
                var outcome = await request.Execute(new ModelAttempt(jobId, model, route, deadline), plan);
                if (outcome.Usage is { } usage)
                {
                    var lease = http.RateLimitLease();
                    if (request.Kind == JobKind.Chat)
                    {
                        lease?.ReportTokens(usage.TotalTokens); // TPM: the estimate becomes the actual count
                    }

                    hold.Settle(route, request.Kind, usage, lease); // not awaited: the response does not depend on it
                }
                else if (outcome.HandOff)
                {
                    hold.HandOff();
                }

                return outcome.Result;
            }
            catch (ApiException ex) when (hasNext && ProviderDispatcher.IsRetriable(ex))
            {
                http.Response.Headers.Remove(ModelResolution.SunsetHeader); // the next candidate answers, with its own
                LogFailover(logger, model.Id, ex.Status, ex.Code, models[i + 1].Id);
                last = ex;
            }
        }

        throw last!;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model} failed ({Status} {Code}); failing over to {Next}")]
    private static partial void LogFailover(ILogger logger, string model, int status, string? code, string next);
}

using System.Diagnostics;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using static CCApi.ServiceDefaults.TelemetryAttributes;

namespace CCApi.Adapters.Hosting;

/// <summary>
/// An adapter's provider calls as OpenTelemetry GenAI operations, on the platform's ActivitySource and Meter: one span per
/// command named <c>{gen_ai.operation.name} {gen_ai.request.model}</c> (kind CLIENT; the provider's HTTP calls are its
/// children) and the <c>gen_ai.client.*</c>, queue-wait, usage and cost metrics. Every adapter goes through here, so the
/// attributes are the same whichever provider ran the job.
/// </summary>
public static class AdapterTelemetry
{
    /// <summary>
    /// Starts the span of one command's provider call and records how long the command waited in its queue.
    /// <paramref name="kind"/> is INTERNAL for a model running in the adapter's own process (the local provider).
    /// </summary>
    public static ProviderCall Start(IJobCommand command, ActivityKind kind = ActivityKind.Client)
    {
        ArgumentNullException.ThrowIfNull(command);
        var route = command.Route;
        var (operation, output) = Operation(command);
        var activity = CcapiTelemetry.Source.StartActivity($"{operation} {route.ProviderModel}", kind);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(OperationName, operation);
            activity.SetTag(ProviderName, route.Provider);
            activity.SetTag(RequestModel, route.ProviderModel);
            activity.SetTag("gen_ai.output.type", output);
            activity.SetTag("ccapi.model", route.Model);
            activity.SetTag("ccapi.job_id", command.JobId.ToString("N"));
            RequestAttributes(activity, command);
        }

        var wait = (DateTimeOffset.UtcNow - command.Timestamp).TotalSeconds;
        if (wait >= 0)
        {
            CcapiTelemetry.QueueWait.Record(wait, new TagList { { OperationName, operation }, { ProviderName, route.Provider }, { RequestModel, route.ProviderModel } });
        }

        return new ProviderCall(activity, route, operation);
    }

    /// <summary>The conventions' operation name and output type of a command.</summary>
    public static (string Operation, string OutputType) Operation(IJobCommand command) => command switch
    {
        ChatCompletion => (Chat, "text"),
        GenerateImage => (GenerateContent, "image"),
        Speech => (GenerateContent, "speech"),
        _ => (command.GetType().Name.ToLowerInvariant(), "text"),
    };

    /// <summary>The request parameters the conventions name, where the command has them.</summary>
    private static void RequestAttributes(Activity activity, IJobCommand command)
    {
        switch (command)
        {
            case ChatCompletion chat:
                SetIfPresent(activity, "gen_ai.request.max_tokens", chat.MaxTokens);
                SetIfPresent(activity, "gen_ai.request.temperature", chat.Temperature);
                SetIfPresent(activity, "gen_ai.request.top_p", chat.TopP);
                SetIfPresent(activity, "gen_ai.request.seed", chat.Seed);
                if (chat.Stop is { Count: > 0 } stop)
                {
                    activity.SetTag("gen_ai.request.stop_sequences", stop.ToArray());
                }

                activity.SetTag("ccapi.stream", chat.Stream);
                break;
            case GenerateImage image:
                activity.SetTag("gen_ai.request.choice.count", image.NumImages);
                SetIfPresent(activity, "gen_ai.request.seed", image.Seed);
                activity.SetTag("ccapi.image.operation", image.Operation);
                activity.SetTag("ccapi.async", image.Async);
                break;
            case Speech speech:
                activity.SetTag("ccapi.voice", speech.Voice);
                activity.SetTag("ccapi.format", speech.Format);
                break;
        }
    }

    private static void SetIfPresent<T>(Activity activity, string name, T? value)
        where T : struct
    {
        if (value is { } v)
        {
            activity.SetTag(name, v);
        }
    }
}

/// <summary>
/// One provider call in progress: its span (null when nobody listens) and its clock. Ends with <see cref="Succeeded{TResult}"/>
/// or <see cref="Failed"/>; disposing ends the span.
/// </summary>
public sealed class ProviderCall(Activity? activity, JobRoute route, string operation) : IDisposable
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private string? _responseModel;
    private string? _responseId;

    /// <summary>The span, for attributes only this adapter knows.</summary>
    public Activity? Activity => activity;

    public JobRoute Route => route;

    /// <summary>Time since the call started.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

    /// <summary>What the provider said about its answer: its response id and the exact model that produced it, when it says.</summary>
    public void Response(string? id, string? model)
    {
        if (!string.IsNullOrEmpty(model))
        {
            _responseModel = model;
        }

        if (!string.IsNullOrEmpty(id) && id != _responseId)
        {
            _responseId = id;
            activity?.SetTag("gen_ai.response.id", id);
        }
    }

    /// <summary>
    /// Records a successful call (span attributes, duration, token usage, usage counters and cost by API key id) and
    /// returns <paramref name="result"/> stamped with the time the provider call took, for the gateway's overhead metric.
    /// </summary>
    public TResult Succeeded<TResult>(TResult result)
        where TResult : class, IJobResult
    {
        ArgumentNullException.ThrowIfNull(result);
        var elapsed = Elapsed;
        var usage = result.Usage;
        var responseModel = _responseModel ?? route.ProviderModel;
        var model = new TagList { { TelemetryAttributes.ProviderName, route.Provider }, { TelemetryAttributes.RequestModel, route.ProviderModel } };
        var call = Operation(responseModel);
        CcapiTelemetry.ClientOperationDuration.Record(elapsed.TotalSeconds, call);

        var tokens = operation == TelemetryAttributes.Chat || usage.PromptTokens > 0 || usage.CompletionTokens > 0;
        if (tokens)
        {
            CcapiTelemetry.ClientTokenUsage.Record(usage.PromptTokens, With(call, TelemetryAttributes.TokenType, "input"));
            CcapiTelemetry.ClientTokenUsage.Record(usage.CompletionTokens, With(call, TelemetryAttributes.TokenType, "output"));
        }

        if (usage.PromptTokens > 0)
        {
            CcapiTelemetry.Tokens.Add(usage.PromptTokens, With(model, TelemetryAttributes.TokenType, "input"));
        }

        if (usage.CompletionTokens > 0)
        {
            CcapiTelemetry.Tokens.Add(usage.CompletionTokens, With(model, TelemetryAttributes.TokenType, "output"));
        }

        if (usage.Images > 0)
        {
            CcapiTelemetry.Images.Add(usage.Images, model);
        }

        if (usage.Characters > 0)
        {
            CcapiTelemetry.Characters.Add(usage.Characters, model);
        }

        // The key id ("key_" + 16 hex of the key's SHA-256) names the owner in job records already; it is not the lookup
        // hash and cannot be turned back into the key. One series per key and model: bounded by the keys issued.
        CcapiTelemetry.Cost.Add((double)usage.Cost, With(model, TelemetryAttributes.KeyId, route.OwnerId));

        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(TelemetryAttributes.ResponseModel, responseModel);
            if (tokens)
            {
                activity.SetTag("gen_ai.usage.input_tokens", usage.PromptTokens);
                activity.SetTag("gen_ai.usage.output_tokens", usage.CompletionTokens);
                if (usage.CachedPromptTokens > 0) // of the input tokens (semantic conventions, experimental)
                {
                    activity.SetTag("gen_ai.usage.cache_read.input_tokens", usage.CachedPromptTokens);
                }

                if (usage.ReasoningTokens > 0) // of the output tokens
                {
                    activity.SetTag("gen_ai.usage.reasoning.output_tokens", usage.ReasoningTokens);
                }
            }

            if (result is ChatCompleted chat)
            {
                activity.SetTag("gen_ai.response.finish_reasons", chat.Choices.Select(c => c.FinishReason).ToArray());
            }

            if (usage.Images > 0)
            {
                activity.SetTag("ccapi.usage.images", usage.Images);
            }

            if (usage.Characters > 0)
            {
                activity.SetTag("ccapi.usage.characters", usage.Characters);
            }
        }

        activity?.SetStatus(ActivityStatusCode.Ok);
        return WithProviderDuration(result, elapsed);
    }

    /// <summary>Records a failed call: <c>error.type</c> is the CCAPI error code (a small fixed set), else its type.</summary>
    public void Failed(ErrorInfo error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var errorType = error.Code ?? error.Type;
        CcapiTelemetry.ClientOperationDuration.Record(Elapsed.TotalSeconds, With(Operation(responseModel: null), TelemetryAttributes.ErrorType, errorType));
        if (activity is not null)
        {
            activity.SetTag(TelemetryAttributes.ErrorType, errorType);
            activity.SetTag("http.response.status_code", error.Status);
            activity.SetStatus(ActivityStatusCode.Error, error.Message);
        }
    }

    public void Dispose() => activity?.Dispose();

    private TagList Operation(string? responseModel)
    {
        var tags = new TagList
        {
            { TelemetryAttributes.OperationName, operation },
            { TelemetryAttributes.ProviderName, route.Provider },
            { TelemetryAttributes.RequestModel, route.ProviderModel },
        };
        if (responseModel is not null)
        {
            tags.Add(TelemetryAttributes.ResponseModel, responseModel);
        }

        return tags;
    }

    private static TagList With(TagList tags, string key, object? value)
    {
        var copy = tags;
        copy.Add(key, value);
        return copy;
    }

    private static TResult WithProviderDuration<TResult>(TResult result, TimeSpan elapsed)
        where TResult : class, IJobResult => result switch
        {
            ChatCompleted chat => (TResult)(object)(chat with { ProviderDuration = elapsed }),
            ImageGenerated image => (TResult)(object)(image with { ProviderDuration = elapsed }),
            SpeechSynthesized speech => (TResult)(object)(speech with { ProviderDuration = elapsed }),
            _ => result,
        };
}

using System.Diagnostics;
using CCApi.Contracts;
using CCApi.ServiceDefaults;

namespace CCApi.Adapters.Hosting;

/// <summary>An adapter's spans and metrics, on the platform's ActivitySource and Meter.</summary>
public static class AdapterTelemetry
{
    public static Activity? Start(string name, IJobMessage command, JobRoute route)
    {
        var activity = CcapiTelemetry.Source.StartActivity(name, ActivityKind.Internal);
        activity?.SetTag("ccapi.job_id", command.JobId.ToString("N"));
        activity?.SetTag("ccapi.provider", route.Provider);
        activity?.SetTag("ccapi.model", route.Model);
        activity?.SetTag("gen_ai.system", route.Provider);
        activity?.SetTag("gen_ai.request.model", route.ProviderModel);

        var wait = (DateTimeOffset.UtcNow - command.Timestamp).TotalSeconds;
        if (wait >= 0)
        {
            CcapiTelemetry.QueueWait.Record(wait, Tags(route));
        }

        return activity;
    }

    public static void Succeeded(Activity? activity, JobRoute route, Usage usage, TimeSpan elapsed)
    {
        var tags = Tags(route);
        CcapiTelemetry.ProviderDuration.Record(elapsed.TotalSeconds, tags);
        if (usage.PromptTokens > 0)
        {
            CcapiTelemetry.Tokens.Add(usage.PromptTokens, [.. tags, new("ccapi.token.type", "input")]);
        }

        if (usage.CompletionTokens > 0)
        {
            CcapiTelemetry.Tokens.Add(usage.CompletionTokens, [.. tags, new("ccapi.token.type", "output")]);
        }

        if (usage.Images > 0)
        {
            CcapiTelemetry.Images.Add(usage.Images, tags);
        }

        if (usage.Characters > 0)
        {
            CcapiTelemetry.Characters.Add(usage.Characters, tags);
        }

        CcapiTelemetry.Cost.Add((double)usage.Cost, tags);
        activity?.SetTag("gen_ai.usage.input_tokens", usage.PromptTokens);
        activity?.SetTag("gen_ai.usage.output_tokens", usage.CompletionTokens);
        activity?.SetTag("ccapi.usage.images", usage.Images);
        activity?.SetTag("ccapi.usage.characters", usage.Characters);
        activity?.SetStatus(ActivityStatusCode.Ok);
    }

    public static void Failed(Activity? activity, ErrorInfo error)
    {
        activity?.SetTag("ccapi.error.code", error.Code);
        activity?.SetTag("http.response.status_code", error.Status);
        activity?.SetStatus(ActivityStatusCode.Error, error.Message);
    }

    private static KeyValuePair<string, object?>[] Tags(JobRoute route) =>
        [new("ccapi.provider", route.Provider), new("ccapi.model", route.Model)];
}

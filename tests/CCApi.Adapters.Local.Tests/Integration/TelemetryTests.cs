using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using CCApi.Contracts;
using CCApi.Testing;
using static CCApi.Adapters.Local.Tests.Support.Commands;

namespace CCApi.Adapters.Local.Tests.Integration;

[Collection(LocalAdapterCollection.Name)]
public class TelemetryTests(LocalAdapterHost host)
{
    [Fact]
    public async Task Wraps_provider_work_in_a_GenAI_span_per_capability_tagged_with_the_job()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "CCApi",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var chat = NewChat(UserMessage("trace me"));
        var image = Image("trace me too");

        await host.Client<ChatCompletion>("local-chat").GetResponse<ChatCompleted>(chat);
        await host.Client<GenerateImage>("local-image").GetResponse<ImageGenerated>(image);

        bool Has(string name, Guid jobId) => spans.Any(s => s.OperationName == name && (string?)s.GetTagItem("ccapi.job_id") == jobId.ToString("N"));
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(Has("chat echo-1", chat.JobId) && Has("generate_content pixel-1", image.JobId)), TimeSpan.FromSeconds(10)))
            .ShouldBeTrue();
        var span = spans.First(s => s.OperationName == "chat echo-1" && (string?)s.GetTagItem("ccapi.job_id") == chat.JobId.ToString("N"));
        span.GetTagItem("ccapi.model").ShouldBe("local/echo-1");
        span.GetTagItem("gen_ai.operation.name").ShouldBe("chat");
        span.GetTagItem("gen_ai.provider.name").ShouldBe("local");
        span.GetTagItem("gen_ai.request.model").ShouldBe("echo-1");
        span.GetTagItem("gen_ai.response.model").ShouldBe("echo-1");
        ((string[])span.GetTagItem("gen_ai.response.finish_reasons")!).ShouldBe(["stop"]);
        ((int)span.GetTagItem("gen_ai.usage.output_tokens")!).ShouldBeGreaterThan(0);
        span.Kind.ShouldBe(ActivityKind.Internal); // the model runs in the adapter's own process
        span.Status.ShouldBe(ActivityStatusCode.Ok);
    }

    [Fact]
    public async Task Counts_generated_images_on_the_platform_meter()
    {
        long images = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "CCApi" && instrument.Name == "ccapi.images")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "gen_ai.request.model" && (string?)tag.Value == "pixel-1")
                {
                    Interlocked.Add(ref images, value);
                }
            }
        });
        listener.Start();

        await host.Client<GenerateImage>("local-image").GetResponse<ImageGenerated>(Image("count me", n: 3));

        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(Interlocked.Read(ref images) >= 3), TimeSpan.FromSeconds(10))).ShouldBeTrue();
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using CCApi.Adapters.Hosting;
using CCApi.Contracts;
using CCApi.Testing;

namespace CCApi.Shared.Tests;

/// <summary>The GenAI attributes and metrics every adapter's provider call gets from <see cref="AdapterTelemetry"/>.</summary>
public sealed class AdapterTelemetryTests : IDisposable
{
    // A provider name of its own, so measurements from other tests running at the same time are not counted.
    private readonly string _provider = "test-" + Guid.NewGuid().ToString("N")[..8];
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ActivityListener _activities;
    private readonly MeasurementRecorder _meters = new();

    public AdapterTelemetryTests()
    {
        _activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "CCApi",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_activities);
    }

    public void Dispose()
    {
        _activities.Dispose();
        _meters.Dispose();
    }

    [Fact]
    public void A_chat_call_is_a_client_span_named_after_operation_and_model_with_request_and_response_attributes()
    {
        var command = Chat() with { MaxTokens = 64, Temperature = 0.5, TopP = 0.9, Seed = 7, Stop = ["END"] };
        using (var call = AdapterTelemetry.Start(command))
        {
            call.Response("chatcmpl-1", "gpt-4o-mini-2024-07-18");
            call.Succeeded(Completed(command, prompt: 12, completion: 5, "stop", "length"));
        }

        var span = _spans.Single(s => (string?)s.GetTagItem("gen_ai.provider.name") == _provider);
        span.DisplayName.ShouldBe("chat gpt-4o-mini");
        span.Kind.ShouldBe(ActivityKind.Client);
        span.Status.ShouldBe(ActivityStatusCode.Ok);
        span.GetTagItem("gen_ai.operation.name").ShouldBe("chat");
        span.GetTagItem("gen_ai.request.model").ShouldBe("gpt-4o-mini");
        span.GetTagItem("gen_ai.response.model").ShouldBe("gpt-4o-mini-2024-07-18");
        span.GetTagItem("gen_ai.response.id").ShouldBe("chatcmpl-1");
        ((string[])span.GetTagItem("gen_ai.response.finish_reasons")!).ShouldBe(["stop", "length"]);
        span.GetTagItem("gen_ai.usage.input_tokens").ShouldBe(12);
        span.GetTagItem("gen_ai.usage.output_tokens").ShouldBe(5);
        span.TagObjects.ShouldNotContain(t => t.Key == "gen_ai.usage.cache_read.input_tokens"); // none served from a cache
        span.GetTagItem("gen_ai.request.max_tokens").ShouldBe(64);
        span.GetTagItem("gen_ai.request.temperature").ShouldBe(0.5);
        span.GetTagItem("gen_ai.request.top_p").ShouldBe(0.9);
        span.GetTagItem("gen_ai.request.seed").ShouldBe(7L);
        ((string[])span.GetTagItem("gen_ai.request.stop_sequences")!).ShouldBe(["END"]);
        span.GetTagItem("gen_ai.output.type").ShouldBe("text");
        span.GetTagItem("ccapi.model").ShouldBe(_provider + "/gpt-4o-mini");
        span.TagObjects.ShouldNotContain(t => t.Key == "gen_ai.system"); // replaced by gen_ai.provider.name
    }

    [Fact]
    public void The_span_carries_the_prompt_tokens_served_from_the_providers_cache_and_the_reasoning_tokens()
    {
        var command = Chat();
        using (var call = AdapterTelemetry.Start(command))
        {
            var completed = Completed(command, prompt: 2000, completion: 80, "stop");
            call.Succeeded(completed with { Usage = UsagePricing.Price(command.Route, 2000, 80, cachedPromptTokens: 1920, reasoningTokens: 64) });
        }

        var span = _spans.Single(s => (string?)s.GetTagItem("gen_ai.provider.name") == _provider);
        span.GetTagItem("gen_ai.usage.input_tokens").ShouldBe(2000);
        span.GetTagItem("gen_ai.usage.cache_read.input_tokens").ShouldBe(1920);
        span.GetTagItem("gen_ai.usage.reasoning.output_tokens").ShouldBe(64);
    }

    [Fact]
    public void A_successful_call_records_duration_token_usage_by_type_and_cost_by_key_id()
    {
        var command = Chat();
        using (var call = AdapterTelemetry.Start(command))
        {
            call.Succeeded(Completed(command, prompt: 12, completion: 5, "stop"));
        }

        var duration = Mine("gen_ai.client.operation.duration").ShouldHaveSingleItem();
        duration.Tags["gen_ai.operation.name"].ShouldBe("chat");
        duration.Tags["gen_ai.request.model"].ShouldBe("gpt-4o-mini");
        duration.Tags["gen_ai.response.model"].ShouldBe("gpt-4o-mini"); // the provider named none: the requested one
        duration.Tags.Keys.ShouldNotContain("error.type");

        var tokens = Mine("gen_ai.client.token.usage").ToDictionary(m => m.Tag("gen_ai.token.type")!, m => m.Value);
        tokens.ShouldBe(new Dictionary<string, double> { ["input"] = 12, ["output"] = 5 });

        var cost = Mine("ccapi.cost").ShouldHaveSingleItem();
        cost.Tags["ccapi.key.id"].ShouldBe("key_0123456789abcdef");
        cost.Tags.Keys.ShouldNotContain("ccapi.job_id");
        cost.Value.ShouldBe((12 * 1.0 + 5 * 2.0) / 1_000_000, 1e-12);

        Mine("ccapi.queue.wait").ShouldHaveSingleItem().Tags["gen_ai.operation.name"].ShouldBe("chat");
    }

    [Fact]
    public void A_successful_call_hands_its_provider_time_back_in_the_result()
    {
        var command = Chat();
        ChatCompleted result;
        using (var call = AdapterTelemetry.Start(command))
        {
            result = call.Succeeded(Completed(command, prompt: 1, completion: 1, "stop"));
        }

        result.ProviderDuration.ShouldNotBeNull();
        result.ProviderDuration.Value.ShouldBeGreaterThanOrEqualTo(TimeSpan.Zero);
    }

    [Fact]
    public void A_failed_call_records_its_duration_with_the_error_type_and_marks_the_span()
    {
        using (var call = AdapterTelemetry.Start(Chat()))
        {
            call.Failed(new ErrorInfo { Message = "slow", Type = "api_error", Code = "provider_timeout", Status = 504 });
        }

        Mine("gen_ai.client.operation.duration").ShouldHaveSingleItem().Tags["error.type"].ShouldBe("provider_timeout");
        Mine("gen_ai.client.token.usage").ShouldBeEmpty();
        var span = _spans.Single(s => (string?)s.GetTagItem("gen_ai.provider.name") == _provider);
        span.Status.ShouldBe(ActivityStatusCode.Error);
        span.GetTagItem("error.type").ShouldBe("provider_timeout");
    }

    [Fact]
    public void Images_and_speech_are_generate_content_operations_without_token_usage()
    {
        var image = new GenerateImage
        {
            JobId = Guid.NewGuid(), Timestamp = DateTimeOffset.UtcNow, Route = Route("pixel-1"), Operation = "text-to-image",
            Prompt = "p", Width = 64, Height = 64, NumImages = 2,
        };
        using (var call = AdapterTelemetry.Start(image, ActivityKind.Internal))
        {
            call.Succeeded(new ImageGenerated
            {
                JobId = image.JobId, Timestamp = DateTimeOffset.UtcNow, Route = image.Route, Operation = image.Operation, Images = [],
                Usage = new Usage { Images = 2 },
            });
        }

        var span = _spans.Single(s => (string?)s.GetTagItem("gen_ai.provider.name") == _provider);
        span.DisplayName.ShouldBe("generate_content pixel-1");
        span.Kind.ShouldBe(ActivityKind.Internal);
        span.GetTagItem("gen_ai.output.type").ShouldBe("image");
        span.GetTagItem("gen_ai.request.choice.count").ShouldBe(2);
        span.GetTagItem("gen_ai.usage.input_tokens").ShouldBeNull();
        Mine("gen_ai.client.token.usage").ShouldBeEmpty();
        Mine("ccapi.images").ShouldHaveSingleItem().Value.ShouldBe(2);
        AdapterTelemetry.Operation(new Speech
        {
            JobId = Guid.NewGuid(), Timestamp = DateTimeOffset.UtcNow, Route = Route("tts-1"), Input = "hi", Voice = "alloy", Format = "mp3",
        }).ShouldBe(("generate_content", "speech"));
    }

    private List<Measured> Mine(string instrument) => _meters.Of(instrument).Where(m => m.Tag("gen_ai.provider.name") == _provider).ToList();

    private JobRoute Route(string model) => new()
    {
        OwnerId = "key_0123456789abcdef",
        Provider = _provider,
        Model = _provider + "/" + model,
        ProviderModel = model,
        Pricing = new ModelPricing { InputPerMillion = 1.0m, OutputPerMillion = 2.0m },
    };

    private ChatCompletion Chat() => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route("gpt-4o-mini"),
        Messages = [new ChatMessage { Role = "user", Content = "hi" }],
    };

    private static ChatCompleted Completed(ChatCompletion command, int prompt, int completion, params string[] finishReasons) => new()
    {
        JobId = command.JobId,
        Timestamp = DateTimeOffset.UtcNow,
        Route = command.Route,
        Choices = finishReasons.Select((r, i) => new ChatChoice { Index = i, Message = new ChatMessage { Role = "assistant", Content = "x" }, FinishReason = r }).ToList(),
        Usage = UsagePricing.Price(command.Route, prompt, completion),
    };
}

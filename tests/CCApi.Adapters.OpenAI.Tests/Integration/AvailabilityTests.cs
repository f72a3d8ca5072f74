using CCApi.Adapters.OpenAI.Tests.Support;
using CCApi.Contracts;
using CCApi.Testing.Adapters;
using MassTransit;

namespace CCApi.Adapters.OpenAI.Tests.Integration;

/// <summary>A healthy adapter announces the provider "available" (the kit's shared test).</summary>
public sealed class AvailabilityTests(OpenAIAdapterHost host) : AvailabilityTests<OpenAIAdapterHost>(host), IClassFixture<OpenAIAdapterHost>;

/// <summary>No API key: the kit's shared tests, and every capability and the stream answer 503 too.</summary>
public sealed class NoApiKeyTests : NoApiKeyTests<OpenAIAdapterHost>
{
    [Fact]
    public async Task Ends_a_stream_with_a_503_error_entry()
    {
        var deltas = await Host.StreamAsync(Host.Chat("hi", stream: true));

        deltas.ShouldHaveSingleItem().Error!.Status.ShouldBe(503);
    }

    [Fact]
    public async Task Answers_images_and_speech_with_503_too()
    {
        var image = await Host.AskAsync<GenerateImage, ImageGenerated>(Host.Image(), JobKind.Image);
        var speech = await Host.AskAsync<Speech, SpeechSynthesized>(Host.Speech(), JobKind.Speech);

        image.Is(out Response<JobFailed>? imageFailed).ShouldBeTrue();
        imageFailed!.Message.Error.Status.ShouldBe(503);
        speech.Is(out Response<JobFailed>? speechFailed).ShouldBeTrue();
        speechFailed!.Message.Error.Status.ShouldBe(503);
    }
}

/// <summary>The circuit breaker (the kit's shared test).</summary>
public sealed class CircuitBreakerTests : CircuitBreakerTests<OpenAIAdapterHost>;

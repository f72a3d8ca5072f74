using System.Text;
using System.Text.Json;
using CCApi.Adapters.OpenAI.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Storage;
using CCApi.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace CCApi.Adapters.OpenAI.Tests.Integration;

/// <summary>
/// Partial images (issue: OpenAI's image streaming): a synchronous command that asks for them streams a gpt-image request
/// upstream and relays each <c>partial_image</c> on the job's partials channel as it arrives, before answering with the
/// completed images; other models and async commands are asked nothing of the kind. Against the emulator's streaming protocol.
/// </summary>
public sealed class ImageStreamTests(OpenAIAdapterHost host) : IClassFixture<OpenAIAdapterHost>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private IBlobStore Blobs => host.Services.GetRequiredService<IBlobStore>();

    private ImagePartials Partials => host.Services.GetRequiredService<ImagePartials>();

    /// <summary>The next <paramref name="count"/> partials of a subscription, with their bytes from the blob store.</summary>
    private async Task<List<(int Index, byte[] Bytes, string ContentType)>> TakeAsync(NoticeSubscription<ImagePartial> partials, int count)
    {
        using var timeout = new CancellationTokenSource(Wait);
        var taken = new List<(int, byte[], string)>();
        while (taken.Count < count)
        {
            var partial = await partials.Reader.ReadAsync(timeout.Token);
            var blob = (await Blobs.GetAsync(partial.Blob.Id)).ShouldNotBeNull();
            taken.Add((partial.Index, blob.Bytes, blob.ContentType));
        }

        return taken;
    }

    private static bool IsEmulatedPartial(byte[] bytes, int index) => bytes.AsSpan().EndsWith(Encoding.ASCII.GetBytes($"partial {index}"));

    [Fact]
    public async Task Streams_a_gpt_image_generation_and_relays_each_partial_image_before_answering()
    {
        host.Emulator.Reset();
        var command = host.Image("gpt-image-1") with { PartialImages = 2 };
        await using var partials = await Partials.SubscribeAsync(command.JobId);

        var response = await host.AskAsync<GenerateImage, ImageGenerated>(command, JobKind.Image);

        response.Is(out Response<ImageGenerated>? generated).ShouldBeTrue();
        var image = generated!.Message.Images.ShouldHaveSingleItem();
        generated.Message.Usage.Images.ShouldBe(1);
        var blob = (await Blobs.GetAsync(image.Blob.Id)).ShouldNotBeNull();
        blob.ContentType.ShouldBe("image/png");
        IsEmulatedPartial(blob.Bytes, 1).ShouldBeFalse(); // the completed image, not a partial
        (generated.Message.Usage.PromptTokens, generated.Message.Usage.CompletionTokens).ShouldBe((50, 272)); // from the completed event
        generated.Message.Output!.Quality.ShouldBe("medium");

        var relayed = await TakeAsync(partials, 2);
        relayed.Select(p => p.Index).ShouldBe([0, 1]);
        relayed.ShouldAllBe(p => p.ContentType == "image/png" && IsEmulatedPartial(p.Bytes, p.Index));

        using var body = JsonDocument.Parse(host.Emulator.Requests.ShouldHaveSingleItem().Body);
        body.RootElement.GetProperty("stream").GetBoolean().ShouldBeTrue();
        body.RootElement.GetProperty("partial_images").GetInt32().ShouldBe(2);
    }

    [Fact]
    public async Task Asks_for_several_gpt_images_without_streaming_since_openai_streams_only_one()
    {
        host.Emulator.Reset();
        var command = host.Image("gpt-image-1", n: 2) with { PartialImages = 2 };
        await using var partials = await Partials.SubscribeAsync(command.JobId);

        var response = await host.AskAsync<GenerateImage, ImageGenerated>(command, JobKind.Image);

        response.Is(out Response<ImageGenerated>? generated).ShouldBeTrue();
        generated!.Message.Images.Count.ShouldBe(2);
        using var body = JsonDocument.Parse(host.Emulator.Requests.ShouldHaveSingleItem().Body);
        body.RootElement.TryGetProperty("stream", out _).ShouldBeFalse();
        body.RootElement.TryGetProperty("partial_images", out _).ShouldBeFalse();
        await Task.Delay(200);
        partials.Reader.TryRead(out _).ShouldBeFalse(); // no partial image: fewer than asked, as OpenAI allows
    }

    [Fact]
    public async Task Asks_dall_e_and_async_commands_for_no_partial_images()
    {
        host.Emulator.Reset();

        var dallE = await host.AskAsync<GenerateImage, ImageGenerated>(host.Image("dall-e-3") with { PartialImages = 2 }, JobKind.Image);
        var asyncJob = host.Image("gpt-image-1") with { PartialImages = 2, Async = true };
        await host.SendAsync(JobKind.Image, asyncJob);

        dallE.Is(out Response<ImageGenerated>? _).ShouldBeTrue();
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(host.Emulator.Requests.Count == 2), Wait)).ShouldBeTrue();
        foreach (var request in host.Emulator.Requests)
        {
            using var body = JsonDocument.Parse(request.Body);
            body.RootElement.TryGetProperty("stream", out _).ShouldBeFalse();
            body.RootElement.TryGetProperty("partial_images", out _).ShouldBeFalse();
        }
    }

    [Fact]
    public async Task A_stream_cut_after_a_partial_image_fails_the_job_with_502()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.DropMidStream, times: 1);
        var command = host.Image("gpt-image-1") with { PartialImages = 3 };
        await using var partials = await Partials.SubscribeAsync(command.JobId);

        var response = await host.AskAsync<GenerateImage, ImageGenerated>(command, JobKind.Image);

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Status.ShouldBe(502);
        failed.Message.Error.Code.ShouldBe("provider_error");
        (await TakeAsync(partials, 1)).ShouldHaveSingleItem().Index.ShouldBe(0); // relayed before the cut
    }

    [Fact]
    public async Task A_malformed_image_stream_fails_the_job_with_502()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.Malformed, times: 1);

        var response = await host.AskAsync<GenerateImage, ImageGenerated>(host.Image("gpt-image-1") with { PartialImages = 1 }, JobKind.Image);

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Status.ShouldBe(502);
    }

    [Fact]
    public async Task Streams_a_gpt_image_edit_and_relays_its_partial_image()
    {
        host.Emulator.Reset();
        var input = new ImageInput { Blob = await Blobs.PutAsync(PngImage.Solid(64, 64, 10, 20, 30), "image/png"), MimeType = "image/png", Field = "image" };
        var command = host.Image("gpt-image-1") with { Operation = "image-to-image", Inputs = [input], Prompt = "add a red balloon", PartialImages = 1 };
        await using var partials = await Partials.SubscribeAsync(command.JobId);

        var response = await host.AskAsync<GenerateImage, ImageGenerated>(command, JobKind.Image);

        response.Is(out Response<ImageGenerated>? generated).ShouldBeTrue();
        generated!.Message.Operation.ShouldBe("image-to-image");
        var (index, bytes, _) = (await TakeAsync(partials, 1)).ShouldHaveSingleItem();
        index.ShouldBe(0);
        IsEmulatedPartial(bytes, 0).ShouldBeTrue();
        var request = host.Emulator.Requests.ShouldHaveSingleItem();
        request.Path.ShouldBe("/v1/images/edits");
        using var form = JsonDocument.Parse(request.Body);
        form.RootElement.GetProperty("stream").GetString().ShouldBe("true");
        form.RootElement.GetProperty("partial_images").GetString().ShouldBe("1");
    }
}

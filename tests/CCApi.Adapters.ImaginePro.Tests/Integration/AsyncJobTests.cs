using System.Text.Json;
using CCApi.Adapters.ImaginePro.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Emulators.ImaginePro;
using MassTransit;

namespace CCApi.Adapters.ImaginePro.Tests.Integration;

/// <summary>The asynchronous path through RabbitMQ: submit, poll, publish progress, download, complete — observed on the bus.</summary>
public sealed class AsyncJobTests(ImagineProAdapterHost host) : IClassFixture<ImagineProAdapterHost>
{
    private static readonly byte[] PngMagic = [0x89, (byte)'P', (byte)'N', (byte)'G'];

    [Fact]
    public async Task Publishes_JobStarted_then_rising_JobProgressed_then_ImageGenerated_with_the_downloaded_png()
    {
        host.Emulator.Reset();
        var command = host.Image();

        var (generated, failed) = await host.RunAsync(command);

        failed.ShouldBeNull();
        generated.ShouldNotBeNull();
        var started = host.Recorded<JobStarted>(command.JobId).ShouldHaveSingleItem();
        started.Kind.ShouldBe(JobKind.Image);
        started.Route.Provider.ShouldBe(host.Provider);
        var progress = host.Recorded<JobProgressed>(command.JobId);
        progress.Select(p => p.Percent).ShouldBe([30, 60, 90]); // the emulator's PROCESSING steps; QUEUED 0 is no rise
        started.Timestamp.ShouldBeLessThanOrEqualTo(progress[0].Timestamp);
        progress[^1].Timestamp.ShouldBeLessThanOrEqualTo(generated.Timestamp);

        var image = generated.Images.ShouldHaveSingleItem();
        var blob = (await host.Blobs.GetAsync(image.Blob.Id)).ShouldNotBeNull();
        blob.ContentType.ShouldBe("image/png");
        blob.Bytes[..4].ShouldBe(PngMagic);
        var messageId = host.Emulator.MessageIds.ShouldHaveSingleItem();
        blob.Bytes.ShouldBe(PngImage.Solid(messageId)); // exactly the image the provider's URL served
        generated.Usage.Images.ShouldBe(1);
        generated.Usage.Cost.ShouldBe(0.04m);
        generated.Operation.ShouldBe("text-to-image");
        host.Emulator.Submits.ShouldBe(1);
        host.Emulator.Fetches(messageId).ShouldBe(5); // QUEUED, 30, 60, 90, DONE
        host.Emulator.Downloads.ShouldBe(1);
        host.Emulator.Requests.Last().Authorization.ShouldBeEmpty(); // the platform's key never goes to the CDN URL
    }

    [Fact]
    public async Task Submits_the_model_prompt_input_image_urls_job_ref_and_timeout_as_ImaginePro_documents()
    {
        host.Emulator.Reset();
        var command = host.Image("make her dress red") with
        {
            Operation = "multi-image-remix",
            Inputs =
            [
                new ImageInput { Url = "https://images.example.com/a.png", MimeType = "image/png" },
                new ImageInput { Url = "https://images.example.com/b.jpg" },
            ],
            Route = host.Route("gemini-3-pro-image-preview"),
        };

        var (generated, _) = await host.RunAsync(command);

        generated.ShouldNotBeNull();
        var submit = host.Emulator.Requests.First(r => r.Path == ImagineProEmulator.SubmitPath);
        submit.Authorization.ShouldBe("Bearer " + host.Emulator.ApiKey);
        using var body = JsonDocument.Parse(submit.Body);
        var root = body.RootElement;
        root.GetProperty("model").GetString().ShouldBe("gemini-3-pro-image-preview");
        var contents = root.GetProperty("contents").EnumerateArray().ToList();
        contents.Count.ShouldBe(3);
        contents[0].GetProperty("type").GetString().ShouldBe("image");
        contents[0].GetProperty("url").GetString().ShouldBe("https://images.example.com/a.png");
        contents[1].GetProperty("url").GetString().ShouldBe("https://images.example.com/b.jpg");
        contents[2].GetProperty("type").GetString().ShouldBe("text");
        contents[2].GetProperty("text").GetString().ShouldBe("make her dress red");
        root.GetProperty("ref").GetString().ShouldBe(command.JobId.ToString("N"));
        root.GetProperty("timeout").GetInt32().ShouldBe(30); // the host's MaxPollDuration
        generated.Operation.ShouldBe("multi-image-remix");
    }

    [Fact]
    public async Task Never_publishes_progress_that_goes_backwards()
    {
        host.Emulator.Reset();
        host.Emulator.Progression =
        [
            new("PROCESSING", 40),
            new("PROCESSING", 20),
            new("PROCESSING", 40),
            new("PROCESSING", 70),
            new("DONE", 100),
        ];
        var command = host.Image();

        var (generated, _) = await host.RunAsync(command);

        generated.ShouldNotBeNull();
        host.Recorded<JobProgressed>(command.JobId).Select(p => p.Percent).ShouldBe([40, 70]);
    }

    [Fact]
    public async Task Reads_progress_given_as_a_string_out_of_100()
    {
        host.Emulator.Reset();
        host.Emulator.ProgressAsString = true;
        var command = host.Image();

        var (generated, _) = await host.RunAsync(command);

        generated.ShouldNotBeNull();
        host.Recorded<JobProgressed>(command.JobId).Select(p => p.Percent).ShouldBe([30, 60, 90]);
    }

    [Fact]
    public async Task Submits_one_provider_job_per_requested_image_and_prices_every_image()
    {
        host.Emulator.Reset();
        var command = host.Image(n: 3);

        var (generated, _) = await host.RunAsync(command);

        generated.ShouldNotBeNull();
        host.Emulator.Submits.ShouldBe(3);
        generated.Images.Count.ShouldBe(3);
        generated.Images.Select(i => i.Blob.Id).Distinct().Count().ShouldBe(3);
        var stored = new List<byte[]>();
        foreach (var image in generated.Images)
        {
            stored.Add((await host.Blobs.GetAsync(image.Blob.Id)).ShouldNotBeNull().Bytes);
        }

        stored.Select(Convert.ToHexString).Distinct().Count().ShouldBe(3); // three provider jobs, three different pictures
        generated.Usage.Images.ShouldBe(3);
        generated.Usage.Cost.ShouldBe(0.12m);
        host.Recorded<JobStarted>(command.JobId).ShouldHaveSingleItem();
        host.Recorded<JobProgressed>(command.JobId).Select(p => p.Percent).ShouldBe([30, 60, 90]); // the average of the three
    }

    [Fact]
    public async Task Answers_a_synchronous_request_with_the_generated_image_within_its_deadline()
    {
        host.Emulator.Reset();
        var command = host.Image(async: false);

        var response = await host.AskAsync(command);

        response.Is(out Response<ImageGenerated>? generated).ShouldBeTrue();
        generated!.Message.JobId.ShouldBe(command.JobId);
        (await host.Blobs.GetAsync(generated.Message.Images.ShouldHaveSingleItem().Blob.Id)).ShouldNotBeNull().ContentType.ShouldBe("image/png");
        host.Recorded<JobStarted>(command.JobId).ShouldBeEmpty(); // a sync job is not tracked by JobStatus: no lifecycle events
        host.Recorded<JobProgressed>(command.JobId).ShouldBeEmpty();
    }

    [Fact]
    public async Task Answers_504_when_a_synchronous_requests_deadline_passes_while_the_provider_is_still_working()
    {
        host.Emulator.Reset();
        host.Emulator.Paused = true;
        var command = host.Image(async: false) with { Deadline = DateTimeOffset.UtcNow.AddSeconds(2) };

        var response = await host.AskAsync(command);

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Status.ShouldBe(504);
        failed.Message.Error.Code.ShouldBe("provider_timeout");
        host.Emulator.Submits.ShouldBe(1);
        host.Emulator.AllFetches.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task A_command_redelivered_after_completion_answers_the_stored_result_without_calling_the_provider()
    {
        host.Emulator.Reset();
        var command = host.Image(async: false);
        var first = await host.AskAsync(command);
        var requests = host.Emulator.Requests.Count;

        var second = await host.AskAsync(command, redelivery: true);

        second.Is(out Response<ImageGenerated>? again).ShouldBeTrue();
        first.Is(out Response<ImageGenerated>? original).ShouldBeTrue();
        again!.Message.Images.Select(i => i.Blob.Id).ShouldBe(original!.Message.Images.Select(i => i.Blob.Id));
        host.Emulator.Requests.Count.ShouldBe(requests); // no submit, poll or download the second time
        host.Emulator.Submits.ShouldBe(1);
    }
}

using System.Text;
using CCApi.Adapters.Local.Images;
using CCApi.Adapters.Local.Tests.Support;
using CCApi.Contracts;
using CCApi.Storage;
using MassTransit;
using static CCApi.Adapters.Local.Tests.Support.Commands;

namespace CCApi.Adapters.Local.Tests.Integration;

[Collection(LocalAdapterCollection.Name)]
public class ImageTests(LocalAdapterHost host)
{
    private IRequestClient<GenerateImage> Client => host.Client<GenerateImage>("local-image");

    [Fact]
    public async Task Responds_with_distinct_pngs_of_the_requested_size_stored_in_redis_and_publishes_them()
    {
        var command = Image("a lighthouse at dusk", width: 80, height: 40, n: 2);

        var response = await Client.GetResponse<ImageGenerated, JobFailed>(command);

        response.Is(out Response<ImageGenerated>? ok).ShouldBeTrue();
        var generated = ok!.Message;
        generated.JobId.ShouldBe(command.JobId);
        generated.Operation.ShouldBe("text-to-image");
        generated.Images.Count.ShouldBe(2);
        generated.Usage.Images.ShouldBe(2);
        generated.Usage.Cost.ShouldBe(0.02m);

        var seed = ProceduralImage.SeedFor("a lighthouse at dusk");
        generated.Images.Select(i => i.Seed).ShouldBe([seed, seed + 1]);

        var stored = new List<byte[]>();
        foreach (var image in generated.Images)
        {
            image.Blob.ContentType.ShouldBe("image/png");
            var blob = (await host.Get<IBlobStore>().GetAsync(image.Blob.Id)).ShouldNotBeNull();
            blob.ContentType.ShouldBe("image/png");
            blob.Bytes.Length.ShouldBe((int)image.Blob.Length);
            var png = PngFile.Read(blob.Bytes);
            png.Width.ShouldBe(80);
            png.Height.ShouldBe(40);
            stored.Add(blob.Bytes);
        }

        stored[0].ShouldNotBe(stored[1]);
        // The reported seed reproduces the image.
        stored[1].ShouldBe(ProceduralImage.RenderPng(new ImageSpec("a lighthouse at dusk", seed + 1, 80, 40)));
        await host.WaitForAsync<ImageGenerated>(e => e.JobId == command.JobId);
    }

    [Fact]
    public async Task A_redelivered_job_answers_with_the_same_blobs()
    {
        var command = Image("same again", seed: 5);

        var first = await Client.GetResponse<ImageGenerated>(command);
        var second = await Client.GetResponse<ImageGenerated>(command, request => request.UseExecute(CCApi.Testing.Adapters.AdapterHost.Redelivered));

        second.Message.Images.Select(i => i.Blob.Id).ShouldBe(first.Message.Images.Select(i => i.Blob.Id));
    }

    [Fact]
    public async Task An_async_job_publishes_started_then_progress_then_the_result()
    {
        var command = Image("async painting", async: true, seed: 11);

        await host.SendAsync("local-image", command);
        var generated = (await host.WaitForAsync<ImageGenerated>(e => e.JobId == command.JobId)).Single();

        generated.Images.ShouldHaveSingleItem().Seed.ShouldBe(11);
        var started = host.Recorded<JobStarted>(e => e.JobId == command.JobId).ShouldHaveSingleItem();
        started.Kind.ShouldBe(JobKind.Image);
        var progress = host.Recorded<JobProgressed>(e => e.JobId == command.JobId).OrderBy(e => e.Timestamp).ToList();
        progress.Select(p => p.Percent).ShouldBe([25, 50, 75]);
        started.Timestamp.ShouldBeLessThanOrEqualTo(progress[0].Timestamp);
        progress[^1].Timestamp.ShouldBeLessThanOrEqualTo(generated.Timestamp);
        host.Recorded<JobFailed>(e => e.JobId == command.JobId).ShouldBeEmpty();
    }

    [Fact]
    public async Task An_async_job_with_bad_input_publishes_JobFailed_400()
    {
        var command = Image("too wide", width: 5000, async: true);

        await host.SendAsync("local-image", command);
        var failed = (await host.WaitForAsync<JobFailed>(e => e.JobId == command.JobId)).Single();

        failed.Error.Status.ShouldBe(400);
        failed.Error.Details!["param"].ShouldBe("width");
        host.Recorded<ImageGenerated>(e => e.JobId == command.JobId).ShouldBeEmpty();
    }

    [Fact]
    public async Task Responds_JobFailed_400_naming_the_input_when_its_bytes_are_not_an_image()
    {
        var blob = await host.Get<IBlobStore>().PutAsync(Encoding.UTF8.GetBytes("this is not an image at all"), "image/png");
        var command = Image("remix", operation: "image-to-image", inputs: [new ImageInput { Blob = blob, MimeType = "image/png" }]);

        var response = await Client.GetResponse<ImageGenerated, JobFailed>(command);

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Status.ShouldBe(400);
        failed.Message.Error.Type.ShouldBe("invalid_request_error");
        failed.Message.Error.Details!["param"].ShouldBe("contents[0].image");
        failed.Message.Kind.ShouldBe(JobKind.Image);
    }

    [Fact]
    public async Task Fetches_url_inputs_and_lets_them_tint_the_result()
    {
        await using var server = await ImageServer.StartAsync();
        var plain = Image("tinted garden", seed: 3);
        var withInput = Image("tinted garden", seed: 3, operation: "image-to-image", inputs: [new ImageInput { Url = server.BaseUrl + "/input.png" }]);

        var plainResult = await Client.GetResponse<ImageGenerated>(plain);
        var tintedResult = await Client.GetResponse<ImageGenerated>(withInput);

        tintedResult.Message.Operation.ShouldBe("image-to-image");
        var plainPng = (await host.Get<IBlobStore>().GetAsync(plainResult.Message.Images[0].Blob.Id))!.Bytes;
        var tintedPng = (await host.Get<IBlobStore>().GetAsync(tintedResult.Message.Images[0].Blob.Id))!.Bytes;
        PngFile.Read(tintedPng).Width.ShouldBe(64);
        tintedPng.ShouldNotBe(plainPng);
    }

    [Fact]
    public async Task Responds_JobFailed_400_when_a_url_input_is_not_an_image()
    {
        await using var server = await ImageServer.StartAsync();
        var command = Image("remix", operation: "multi-image-remix", inputs:
        [
            new ImageInput { Url = server.BaseUrl + "/input.png" },
            new ImageInput { Url = server.BaseUrl + "/notes.txt" },
        ]);

        var response = await Client.GetResponse<ImageGenerated, JobFailed>(command);

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Details!["param"].ShouldBe("contents[1].image");
    }

    [Fact]
    public async Task A_streamed_request_for_partial_images_gets_coarse_to_fine_previews_of_each_image_before_its_answer()
    {
        var command = Image("a lighthouse at dusk", width: 64, height: 48, n: 2) with { PartialImages = 2 };
        await using var partials = await host.Get<ImagePartials>().SubscribeAsync(command.JobId);

        var response = await Client.GetResponse<ImageGenerated, JobFailed>(command);

        response.Is(out Response<ImageGenerated>? ok).ShouldBeTrue();
        var finals = new List<byte[]>();
        foreach (var image in ok!.Message.Images)
        {
            finals.Add((await host.Get<IBlobStore>().GetAsync(image.Blob.Id))!.Bytes);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var relayed = new List<(int Index, byte[] Rgb)>();
        while (relayed.Count < 4)
        {
            var partial = await partials.Reader.ReadAsync(timeout.Token);
            partial.Blob.ContentType.ShouldBe("image/png");
            var png = PngFile.Read((await host.Get<IBlobStore>().GetAsync(partial.Blob.Id)).ShouldNotBeNull().Bytes);
            (png.Width, png.Height).ShouldBe((64, 48));
            relayed.Add((partial.Index, png.Pixels()));
        }

        relayed.Select(p => p.Index).ShouldBe([0, 1, 0, 1]);
        for (var image = 0; image < 2; image++)
        {
            // Coarse to fine: 16-pixel blocks (at most 4 x 3 colours in 64x48), then 8-pixel ones, which show more.
            var (coarse, finer) = (Colours(relayed[image * 2].Rgb), Colours(relayed[(image * 2) + 1].Rgb));
            coarse.ShouldBeLessThanOrEqualTo(12);
            finer.ShouldBeGreaterThan(coarse);
        }

        relayed.Select(p => p.Rgb).Distinct(new BytesComparer()).Count().ShouldBe(4); // each a different preview
        var finalRgb = finals.Select(f => PngFile.Read(f).Pixels()).ToList();
        relayed.Any(p => finalRgb.Any(f => f.AsSpan().SequenceEqual(p.Rgb))).ShouldBeFalse(); // previews, not the images themselves
    }

    [Fact]
    public async Task A_request_without_partial_images_gets_none()
    {
        var command = Image("no previews", width: 32, height: 32);
        await using var partials = await host.Get<ImagePartials>().SubscribeAsync(command.JobId);

        var response = await Client.GetResponse<ImageGenerated, JobFailed>(command);

        response.Is(out Response<ImageGenerated>? _).ShouldBeTrue();
        await Task.Delay(200);
        partials.Reader.TryRead(out _).ShouldBeFalse();
    }

    private static int Colours(byte[] rgb) => Enumerable.Range(0, rgb.Length / 3).Select(i => (rgb[i * 3], rgb[(i * 3) + 1], rgb[(i * 3) + 2])).Distinct().Count();

    private sealed class BytesComparer : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => obj.Length;
    }
}

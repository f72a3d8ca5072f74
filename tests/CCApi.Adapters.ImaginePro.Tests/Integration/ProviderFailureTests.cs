using CCApi.Adapters.ImaginePro.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Emulators.ImaginePro;
using CCApi.Storage;
using MassTransit;

namespace CCApi.Adapters.ImaginePro.Tests.Integration;

/// <summary>Jobs the provider ends badly (FAIL, moderation), polls that fail, and requests refused before anything is paid for.</summary>
public sealed class ProviderFailureTests(ImagineProAdapterHost host) : IClassFixture<ImagineProAdapterHost>
{
    [Fact]
    public async Task A_FAIL_status_ends_the_job_with_JobFailed_502_carrying_the_providers_message()
    {
        host.Emulator.Reset();
        var command = host.Image($"a cat, {ImagineProEmulator.FailPrompt}");

        var error = await host.FailedAsync(command);

        error.Status.ShouldBe(502);
        error.Type.ShouldBe("api_error");
        error.Code.ShouldBe("provider_error");
        error.Message.ShouldContain(ImagineProEmulator.GenerationError);
        error.Details!["provider_status"].ShouldBe("FAIL");
        host.Recorded<JobStarted>(command.JobId).ShouldHaveSingleItem();
        host.Recorded<JobProgressed>(command.JobId).Select(p => p.Percent).ShouldBe([30]);
        var failed = host.Recorded<JobFailed>(command.JobId).ShouldHaveSingleItem();
        failed.Kind.ShouldBe(JobKind.Image);
        failed.Route.ShouldNotBeNull().Provider.ShouldBe(host.Provider);
        host.Emulator.Submits.ShouldBe(1);
    }

    [Fact]
    public async Task A_moderation_FAIL_ends_the_job_with_400_content_policy_violation()
    {
        host.Emulator.Reset();

        var error = await host.FailedAsync(host.Image($"something {ImagineProEmulator.BlockedPrompt}"));

        error.Status.ShouldBe(400);
        error.Type.ShouldBe("invalid_request_error");
        error.Code.ShouldBe("content_policy_violation");
        error.Message.ShouldContain(ImagineProEmulator.ModerationError);
        error.Details!["param"].ShouldBe("prompt");
    }

    [Fact]
    public async Task A_poll_round_that_fails_is_tolerated_and_the_job_still_completes()
    {
        host.Emulator.Reset();
        host.Emulator.FailPollsOnly = true;
        host.Emulator.Fail(FailureMode.ServerError, times: 3); // one poll round: first attempt + 2 retries

        var (generated, failed) = await host.RunAsync(host.Image());

        failed.ShouldBeNull();
        generated.ShouldNotBeNull().Images.ShouldHaveSingleItem();
        host.Emulator.Submits.ShouldBe(1);
        host.Emulator.Requests.Count(r => r.Failure == FailureMode.ServerError).ShouldBe(3);
    }

    [Fact]
    public async Task Polls_that_keep_failing_end_the_job_with_502_after_the_allowed_failed_rounds()
    {
        host.Emulator.Reset();
        host.Emulator.FailPollsOnly = true;
        host.Emulator.Fail(FailureMode.ServerError);

        var error = await host.FailedAsync(host.Image());

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_error");
        host.Emulator.Submits.ShouldBe(1);
        host.Emulator.AllFetches.ShouldBe(9); // 3 rounds (MaxConsecutivePollFailures) x (1 attempt + 2 retries)
    }

    [Fact]
    public async Task A_poll_the_provider_answers_with_an_unknown_message_ends_the_job_with_502_not_400()
    {
        host.Emulator.Reset();
        var command = host.Image();
        host.Emulator.ForgetJobsOnSubmit = true; // the provider accepts the job, then no longer knows its id

        var error = await host.FailedAsync(command);

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_error");
        error.Message.ShouldContain("not found");
    }

    [Fact]
    public async Task Answers_400_naming_the_mask_without_calling_the_provider()
    {
        var command = host.Image() with
        {
            Operation = "image-to-image",
            Inputs = [new ImageInput { Url = "https://images.example.com/a.png" }, new ImageInput { Url = "https://images.example.com/m.png", IsMask = true }],
        };

        await host.RefusedAsync(command, "contents[1].mask");
    }

    [Fact]
    public async Task Answers_400_naming_the_operation_for_inpainting_without_calling_the_provider()
    {
        await host.RefusedAsync(host.Image() with { Operation = "inpainting", Inputs = [new ImageInput { Url = "https://images.example.com/a.png" }] }, "operation");
    }

    [Fact]
    public async Task Answers_400_for_uploaded_image_data_when_no_public_file_url_is_configured()
    {
        var blob = await host.Blobs.PutAsync(CCApi.Emulators.PngImage.Solid("input"), "image/png");

        var error = await host.RefusedAsync(host.Image() with { Operation = "image-to-image", Inputs = [new ImageInput { Blob = blob, MimeType = "image/png" }] }, "contents[0].image");

        error.Message.ShouldContain("by URL only");
    }
}

/// <summary>Where the gateway's public origin is known, uploaded input images reach ImaginePro as signed, expiring file URLs.</summary>
public sealed class SignedInputUrlTests : IAsyncLifetime
{
    private readonly PublicFilesHost _host = new();

    [Fact]
    public async Task Passes_uploaded_image_data_as_a_signed_gateway_file_url()
    {
        var blob = await _host.Blobs.PutAsync(PngImage.Solid("input"), "image/png");
        var command = _host.Image("remix this") with { Operation = "image-to-image", Inputs = [new ImageInput { Blob = blob, MimeType = "image/png" }] };

        var (generated, _) = await _host.RunAsync(command);

        generated.ShouldNotBeNull();
        using var body = System.Text.Json.JsonDocument.Parse(_host.Emulator.Requests.First(r => r.Path == ImagineProEmulator.SubmitPath).Body);
        var url = body.RootElement.GetProperty("contents")[0].GetProperty("url").GetString().ShouldNotBeNull();
        url.ShouldStartWith($"https://api.ccapi.example{BlobUrlSigner.PathPrefix}{blob.Id}.png?expires=");
        url.ShouldContain("&signature=");
    }

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private sealed class PublicFilesHost : ImagineProAdapterHost
    {
        protected override void Configure(Dictionary<string, string?> settings) => settings["BlobUrls:PublicBaseUrl"] = "https://api.ccapi.example";
    }
}

/// <summary>The provider never finishes: polling stops at ImaginePro:MaxPollDuration after the submission with a 504.</summary>
public sealed class PollTimeoutTests : IAsyncLifetime
{
    private readonly ShortPollHost _host = new();

    [Fact]
    public async Task Ends_the_job_with_504_provider_timeout_when_the_provider_does_not_finish_in_time()
    {
        _host.Emulator.Paused = true; // every poll answers QUEUED, forever
        var command = _host.Image();

        var error = await _host.FailedAsync(command);

        error.Status.ShouldBe(504);
        error.Code.ShouldBe("provider_timeout");
        error.Message.ShouldContain("did not finish the image within 2 s");
        error.Details!["provider_status"].ShouldBe("QUEUED");
        _host.Emulator.Submits.ShouldBe(1);
        _host.Emulator.AllFetches.ShouldBeGreaterThan(1);
        _host.Recorded<JobStarted>(command.JobId).ShouldHaveSingleItem();
    }

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private sealed class ShortPollHost : ImagineProAdapterHost
    {
        protected override void Configure(Dictionary<string, string?> settings) => settings["ImaginePro:MaxPollDuration"] = "00:00:02";
    }
}

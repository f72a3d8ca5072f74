namespace CCApi.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class ImageJobTests(GatewayFixture gateway)
{
    private async Task<JsonNode> PollAsync(string id, HttpClient? client = null)
    {
        var response = await (client ?? gateway.Client).GetAsync($"/v1/images/jobs/{id}");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return await GatewayFixture.ReadJsonAsync(response);
    }

    [Fact]
    public async Task A_client_that_leaves_while_its_job_is_registered_gets_the_job_canceled_not_left_pending()
    {
        var prompt = "left while registering " + Guid.NewGuid().ToString("N");
        var before = gateway.Providers.Registrations.Keys.ToHashSet();
        gateway.Providers.RegisterDelay = TimeSpan.FromSeconds(1);
        try
        {
            using var leave = new CancellationTokenSource();
            var request = gateway.Client.PostAsync("/v1/images/generate",
                new StringContent($$"""{"model":"local/pixel-async-1","contents":[{"text":"{{prompt}}"}]}""", System.Text.Encoding.UTF8, "application/json"), leave.Token);
            (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(gateway.Providers.Registrations.Keys.Any(k => !before.Contains(k))), TimeSpan.FromSeconds(10)))
                .ShouldBeTrue("the job was never registered");
            await leave.CancelAsync(); // JobStatus has the registration; its answer is still on the way
            await Should.ThrowAsync<OperationCanceledException>(() => request);

            var jobId = gateway.Providers.Registrations.Keys.Single(k => !before.Contains(k));
            (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(gateway.Providers.CanceledEvents.ContainsKey(jobId)), TimeSpan.FromSeconds(10)))
                .ShouldBeTrue("the registered job was left pending");
            gateway.Providers.ImageCommands.Values.ShouldNotContain(c => c.Prompt == prompt);
        }
        finally
        {
            gateway.Providers.RegisterDelay = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task Answers_503_and_starts_nothing_when_JobStatus_faults_on_the_registration()
    {
        var prompt = "registration faults " + Guid.NewGuid().ToString("N");
        var before = gateway.Providers.Registrations.Keys.ToHashSet();
        gateway.Providers.RegisterFaults = true;
        try
        {
            var response = await gateway.PostJsonAsync("/v1/images/generate", $$"""{"model":"local/pixel-async-1","contents":[{"text":"{{prompt}}"}]}""");

            var error = await GatewayFixture.ShouldBeErrorAsync(response, HttpStatusCode.ServiceUnavailable, "api_error", "service_unavailable");
            error["message"]!.GetValue<string>().ShouldContain("could not be registered");
            gateway.Providers.Registrations.Keys.Count(k => !before.Contains(k)).ShouldBe(1); // it reached JobStatus, which faulted
            gateway.Providers.ImageCommands.Values.ShouldNotContain(c => c.Prompt == prompt);
            var jobId = gateway.Providers.Registrations.Keys.Single(k => !before.Contains(k));
            await ShouldBeFailedWithTheClients503Async(jobId); // a redelivered registration cannot leave it pending
        }
        finally
        {
            gateway.Providers.RegisterFaults = false;
        }
    }

    [Fact]
    public async Task A_registration_JobStatus_answers_too_late_ends_the_job_failed_with_the_503_its_client_heard()
    {
        var prompt = "registration too late " + Guid.NewGuid().ToString("N");
        var before = gateway.Providers.Registrations.Keys.ToHashSet();
        await using var impatient = gateway.NewGateway(adminKey: null, settings: new Dictionary<string, string?> { ["Gateway:RegisterJobTimeout"] = "00:00:01" });
        using var client = impatient.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", gateway.ApiKey);
        gateway.Providers.RegisterDelay = TimeSpan.FromSeconds(3); // JobStatus stalled (Redis paused): it records the job later
        try
        {
            var response = await gateway.PostJsonAsync("/v1/images/generate",
                $$"""{"model":"local/pixel-async-1","contents":[{"text":"{{prompt}}"}]}""", client);

            var error = await GatewayFixture.ShouldBeErrorAsync(response, HttpStatusCode.ServiceUnavailable, "api_error", "service_unavailable");
            error["message"]!.GetValue<string>().ShouldContain("nothing was started");
            var jobId = gateway.Providers.Registrations.Keys.Single(k => !before.Contains(k));
            await ShouldBeFailedWithTheClients503Async(jobId);
            gateway.Providers.ImageCommands.Values.ShouldNotContain(c => c.Prompt == prompt);
        }
        finally
        {
            gateway.Providers.RegisterDelay = TimeSpan.Zero;
        }
    }

    private async Task ShouldBeFailedWithTheClients503Async(Guid jobId)
    {
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(gateway.Providers.FailedEvents.ContainsKey(jobId)), TimeSpan.FromSeconds(10)))
            .ShouldBeTrue("the job whose registration failed was left to the sweeper");
        var failed = gateway.Providers.FailedEvents[jobId].Error;
        (failed.Status, failed.Code).ShouldBe((503, "service_unavailable"));
    }

    [Fact]
    public async Task Registers_an_async_job_answers_202_and_is_polled_from_processing_to_completed()
    {
        gateway.Providers.ReleaseAsyncJobs = FakeProviders.NewRelease();
        var prompt = "async " + Guid.NewGuid().ToString("N");

        var response = await gateway.PostJsonAsync("/v1/images/generate", $$"""
            {"model":"local/pixel-async-1","contents":[{"text":"{{prompt}}"}],"parameters":{"num_images":2},"webhook_url":"https://hooks.example.com/ccapi"}
            """);

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var accepted = await GatewayFixture.ReadJsonAsync(response);
        var id = accepted["id"]!.GetValue<string>();
        id.ShouldMatch("^img_[0-9a-f]{32}$");
        accepted["status"]!.GetValue<string>().ShouldBe("pending");
        accepted["model"]!.GetValue<string>().ShouldBe("local/pixel-async-1");
        accepted["execution"]!["mode"]!.GetValue<string>().ShouldBe("async");
        accepted["execution"]!["operation"]!.GetValue<string>().ShouldBe("text-to-image");
        accepted["estimated_time"]!.GetValue<double>().ShouldBe(2);
        var pollUrl = new Uri(accepted["poll_url"]!.GetValue<string>());
        pollUrl.IsAbsoluteUri.ShouldBeTrue();
        pollUrl.AbsolutePath.ShouldBe($"/v1/images/jobs/{id}");
        response.Headers.Location.ShouldBe(pollUrl);
        accepted.AsObject().ContainsKey("data").ShouldBeFalse();

        var jobId = Guid.ParseExact(id[4..], "N");
        var registration = gateway.Providers.Registrations[jobId];
        registration.Route.OwnerId.ShouldBe(gateway.KeyId);
        registration.Mode.ShouldBe("async");
        registration.WebhookUrl.ShouldBe("https://hooks.example.com/ccapi");
        registration.EstimatedSeconds.ShouldBe(2);
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(gateway.Providers.ImageCommands.ContainsKey(jobId)), TimeSpan.FromSeconds(10)))
            .ShouldBeTrue();
        gateway.Providers.ImageCommands[jobId].Async.ShouldBeTrue();
        gateway.Providers.ImageCommandQueues[jobId].ShouldBe("local-image-async"); // not behind the requests waited on

        JsonNode? processing = null;
        (await TestInfrastructure.EventuallyAsync(async () =>
            (processing = await PollAsync(id))["status"]!.GetValue<string>() == "processing", TimeSpan.FromSeconds(10))).ShouldBeTrue();
        processing!["progress"]!.GetValue<int>().ShouldBe(50);
        processing["poll_url"]!.GetValue<string>().ShouldBe(pollUrl.ToString());
        processing.AsObject().ContainsKey("data").ShouldBeFalse();

        gateway.Providers.ReleaseAsyncJobs.SetResult();
        JsonNode? completed = null;
        (await TestInfrastructure.EventuallyAsync(async () =>
            (completed = await PollAsync(id))["status"]!.GetValue<string>() == "completed", TimeSpan.FromSeconds(10))).ShouldBeTrue();
        completed!["progress"]!.GetValue<int>().ShouldBe(100);
        completed["execution"]!["mode"]!.GetValue<string>().ShouldBe("async");
        completed.AsObject().ContainsKey("poll_url").ShouldBeFalse();
        var data = completed["data"]!.AsArray();
        data.Count.ShouldBe(2);
        var file = await gateway.Anonymous.GetAsync(new Uri(data[0]!["url"]!.GetValue<string>()).PathAndQuery);
        file.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await file.Content.ReadAsByteArrayAsync()).ShouldBe(FakeProviders.Png);
    }

    [Fact]
    public async Task Async_jobs_go_to_their_own_queue_and_to_the_image_queue_while_the_adapters_predate_it()
    {
        gateway.Providers.ReleaseAsyncJobs = FakeProviders.NewRelease();
        gateway.Providers.ReleaseAsyncJobs.SetResult();
        var tag = Guid.NewGuid().ToString("N")[..8];
        Guid JobOf(JsonNode accepted) => Guid.ParseExact(accepted["id"]!.GetValue<string>()[4..], "N");

        // local: the stand-in consumes local-image-async; a synchronous model's request stays on local-image.
        var asyncJob = JobOf(await GatewayFixture.ReadJsonAsync(await gateway.PostJsonAsync("/v1/images/generate",
            $$"""{"model":"local/pixel-async-1","contents":[{"text":"queued {{tag}}"}]}""")));
        var sync = await gateway.PostJsonAsync("/v1/images/generate", $$"""{"model":"local/pixel-1","contents":[{"text":"waited on {{tag}}"}]}""");
        sync.StatusCode.ShouldBe(HttpStatusCode.OK, await sync.Content.ReadAsStringAsync());
        var syncJob = gateway.Providers.ImageCommands.Single(c => c.Value.Prompt == $"waited on {tag}").Key;

        // imaginepro: its stand-in consumes only imaginepro-image, as an adapter from before the async queue does.
        var olderAdapter = JobOf(await GatewayFixture.ReadJsonAsync(await gateway.PostJsonAsync("/v1/images/generate",
            $$"""{"model":"imaginepro/nano-banana","contents":[{"text":"upgrade {{tag}}"}]}""")));

        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(
            gateway.Providers.ImageCommandQueues.ContainsKey(asyncJob) && gateway.Providers.ImageCommandQueues.ContainsKey(olderAdapter)),
            TimeSpan.FromSeconds(10))).ShouldBeTrue();
        gateway.Providers.ImageCommandQueues[asyncJob].ShouldBe("local-image-async");
        gateway.Providers.ImageCommandQueues[syncJob].ShouldBe("local-image");
        gateway.Providers.ImageCommandQueues[olderAdapter].ShouldBe("imaginepro-image");
    }

    [Fact]
    public async Task Reports_a_failed_async_job_with_its_error_object()
    {
        gateway.Providers.ReleaseAsyncJobs = FakeProviders.NewRelease();
        gateway.Providers.ReleaseAsyncJobs.SetResult();
        var accepted = await GatewayFixture.ReadJsonAsync(await gateway.PostJsonAsync("/v1/images/generate",
            """{"model":"local/pixel-async-1","contents":[{"text":"[fail:502] broken"}]}"""));
        var id = accepted["id"]!.GetValue<string>();

        JsonNode? failed = null;
        (await TestInfrastructure.EventuallyAsync(async () =>
            (failed = await PollAsync(id))["status"]!.GetValue<string>() == "failed", TimeSpan.FromSeconds(10))).ShouldBeTrue();
        failed!["error"]!["message"]!.GetValue<string>().ShouldBe("fake provider failed with 502");
        failed["error"]!["type"]!.GetValue<string>().ShouldBe("api_error");
        failed["error"]!["code"]!.GetValue<string>().ShouldBe("provider_error");
        failed["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe("contents");
        failed.AsObject().ContainsKey("data").ShouldBeFalse();
    }

    [Fact]
    public async Task Answers_404_for_another_keys_job_and_for_unknown_or_malformed_ids()
    {
        var jobId = Guid.NewGuid();
        gateway.Internal.Jobs[jobId] = StubInternalServices.JobView(new
        {
            Id = jobId.ToString("N"), OwnerId = gateway.KeyId, Kind = "image", State = "pending", Mode = "async",
            Model = "local/pixel-async-1", Provider = "local", Operation = "text-to-image", Created = 1_800_000_000L, Updated = 1_800_000_000L,
            Progress = 0, EstimatedSeconds = 2.0, ResponseFormat = "url",
        });
        var id = "img_" + jobId.ToString("N");

        (await PollAsync(id))["status"]!.GetValue<string>().ShouldBe("pending");

        var other = await gateway.OtherClient.GetAsync($"/v1/images/jobs/{id}");
        await GatewayFixture.ShouldBeErrorAsync(other, HttpStatusCode.NotFound, "invalid_request_error", "not_found");

        foreach (var unknown in new[] { "img_" + Guid.NewGuid().ToString("N"), jobId.ToString("N"), "img_xyz", "img_" + jobId.ToString("D"), "img_%20", "IMG_" + jobId.ToString("N") })
        {
            (await gateway.Client.GetAsync($"/v1/images/jobs/{unknown}")).StatusCode.ShouldBe(HttpStatusCode.NotFound, unknown);
        }
    }

    [Fact]
    public async Task A_chat_or_speech_job_is_not_an_image_job_even_behind_img_()
    {
        foreach (var kind in new[] { "chat", "speech" })
        {
            var jobId = Guid.NewGuid();
            gateway.Internal.Jobs[jobId] = StubInternalServices.JobView(new
            {
                Id = jobId.ToString("N"), OwnerId = gateway.KeyId, Kind = kind, State = "completed", Mode = "sync",
                Model = "local/echo-1", Provider = "local", Created = 1_800_000_000L, Updated = 1_800_000_000L, Progress = 100,
            });
            var id = "img_" + jobId.ToString("N"); // the hex of its chatcmpl- id

            await GatewayFixture.ShouldBeErrorAsync(await gateway.Client.GetAsync($"/v1/images/jobs/{id}"), HttpStatusCode.NotFound, "invalid_request_error", "not_found");
            await GatewayFixture.ShouldBeErrorAsync(await gateway.Client.PostAsync($"/v1/images/jobs/{id}/cancel", null), HttpStatusCode.NotFound, "invalid_request_error", "not_found");
        }
    }

    [Theory]
    [InlineData("pending", 0)]
    [InlineData("processing", 40)]
    [InlineData("canceled", 40)]
    public async Task Renders_each_job_state_from_JobStatus(string state, int progress)
    {
        var jobId = Guid.NewGuid();
        gateway.Internal.Jobs[jobId] = StubInternalServices.JobView(new
        {
            Id = jobId.ToString("N"), OwnerId = gateway.KeyId, Kind = "image", State = state, Mode = "async",
            Model = "imaginepro/nano-banana", Provider = "imaginepro", Operation = "image-to-image", Created = 1_800_000_000L, Updated = 1_800_000_001L,
            Progress = progress, EstimatedSeconds = 30.0, ResponseFormat = "url",
            Error = state == "canceled" ? new { Message = "The client canceled the job.", Type = "invalid_request_error", Code = "canceled", Status = 499 } : null,
        });

        var body = await PollAsync("img_" + jobId.ToString("N"));

        body["status"]!.GetValue<string>().ShouldBe(state);
        body["progress"]!.GetValue<int>().ShouldBe(progress);
        body["created"]!.GetValue<long>().ShouldBe(1_800_000_000L);
        body["model"]!.GetValue<string>().ShouldBe("imaginepro/nano-banana");
        body["execution"]!["operation"]!.GetValue<string>().ShouldBe("image-to-image");
        body["execution"]!["provider"]!.GetValue<string>().ShouldBe("imaginepro");
        body.AsObject().ContainsKey("poll_url").ShouldBe(state != "canceled");
        body.AsObject().ContainsKey("estimated_time").ShouldBe(state != "canceled");
        body.AsObject().ContainsKey("error").ShouldBe(state == "canceled");
    }

    [Fact]
    public async Task Inlines_completed_images_as_base64_when_the_job_asked_for_b64_json()
    {
        var blob = await gateway.Factory.Services.GetService(typeof(CCApi.Storage.IBlobStore)).ShouldBeAssignableTo<CCApi.Storage.IBlobStore>()!
            .PutAsync(FakeProviders.Png, "image/png");
        var jobId = Guid.NewGuid();
        gateway.Internal.Jobs[jobId] = StubInternalServices.JobView(new
        {
            Id = jobId.ToString("N"), OwnerId = gateway.KeyId, Kind = "image", State = "completed", Mode = "async",
            Model = "local/pixel-async-1", Provider = "local", Operation = "text-to-image", Created = 1L, Updated = 2L,
            Progress = 100, ResponseFormat = "b64_json",
            Images = new[] { new { Blob = new { blob.Id, blob.ContentType, blob.Length }, Seed = 9L, RevisedPrompt = "rp" } },
        });

        var body = await PollAsync("img_" + jobId.ToString("N"));

        var item = body["data"]!.AsArray().ShouldHaveSingleItem()!;
        Convert.FromBase64String(item["b64_json"]!.GetValue<string>()).ShouldBe(FakeProviders.Png);
        item["seed"]!.GetValue<long>().ShouldBe(9);
        item["revised_prompt"]!.GetValue<string>().ShouldBe("rp");
    }
}

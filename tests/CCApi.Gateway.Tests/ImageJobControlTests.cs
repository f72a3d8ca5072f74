using System.Net.ServerSentEvents;

namespace CCApi.Gateway.Tests;

/// <summary>GET /v1/images/jobs/{id}/events and POST /v1/images/jobs/{id}/cancel against a stand-in JobStatus.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ImageJobControlTests(GatewayFixture gateway)
{
    private JsonObject View(Guid jobId, string state, int progress, string? owner = null) => StubInternalServices.JobView(new
    {
        Id = jobId.ToString("N"), OwnerId = owner ?? gateway.KeyId, Kind = "image", State = state, Mode = "async",
        Model = "local/pixel-async-1", Provider = "local", Operation = "text-to-image", Created = 1_800_000_000L, Updated = 1_800_000_000L,
        Progress = progress, EstimatedSeconds = 2.0, ResponseFormat = "url",
    });

    private Guid AddJob(string state, params (string Id, string State, int Progress)[] events)
    {
        var jobId = Guid.NewGuid();
        gateway.Internal.Jobs[jobId] = View(jobId, state, 0);
        gateway.Internal.JobEvents[jobId] = events.Select(e => (e.Id, View(jobId, e.State, e.Progress))).ToList();
        return jobId;
    }

    private static async Task<(HttpResponseMessage Response, string Body)> GetStreamAsync(HttpClient client, string path, string? lastEventId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Cancels the job with the bootstrap key; answers the body once the status is <paramref name="expected"/>.</summary>
    private async Task<JsonNode> CancelAsync(Guid jobId, HttpStatusCode expected)
    {
        var response = await gateway.Client.PostAsync($"/v1/images/jobs/img_{jobId:N}/cancel", null);
        response.StatusCode.ShouldBe(expected);
        return await GatewayFixture.ReadJsonAsync(response);
    }

    [Fact]
    public async Task The_status_stream_carries_the_public_job_view_per_event_with_its_id_and_heartbeats_as_comments()
    {
        var jobId = AddJob("processing", ("1-0", "pending", 0), ("2-0", "processing", 50), ("3-0", "completed", 100));
        var id = "img_" + jobId.ToString("N");

        var (response, body) = await GetStreamAsync(gateway.Client, $"/v1/images/jobs/{id}/events");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        body.ShouldContain("\n: heartbeat\n\n");
        var parser = SseParser.Create(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(body)));
        var events = new List<(string? Id, string Type, JsonNode Data)>();
        await foreach (var item in parser.EnumerateAsync())
        {
            events.Add((parser.LastEventId, item.EventType, JsonNode.Parse(item.Data)!));
        }

        events.Select(e => e.Id).ShouldBe(["1-0", "2-0", "3-0"]);
        events.ShouldAllBe(e => e.Type == "status");
        events.Select(e => (string)e.Data["status"]!).ShouldBe(["pending", "processing", "completed"]);
        events.ShouldAllBe(e => (string)e.Data["id"]! == id);
        ((int)events[1].Data["progress"]!).ShouldBe(50);
        events[1].Data["poll_url"]!.GetValue<string>().ShouldEndWith($"/v1/images/jobs/{id}");
        events[2].Data.AsObject().ContainsKey("poll_url").ShouldBeFalse();
        events[0].Data.AsObject().ContainsKey("owner_id").ShouldBeFalse();
        gateway.Internal.LastEventIds[jobId].ShouldBe("");
    }

    [Fact]
    public async Task Last_Event_ID_is_passed_on_so_the_stream_resumes_after_it()
    {
        var jobId = AddJob("completed", ("1-0", "pending", 0), ("2-0", "processing", 50), ("3-0", "completed", 100));

        var (response, body) = await GetStreamAsync(gateway.Client, $"/v1/images/jobs/img_{jobId:N}/events", lastEventId: "2-0");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        gateway.Internal.LastEventIds[jobId].ShouldBe("2-0");
        body.ShouldContain("id: 3-0\n");
        body.ShouldNotContain("id: 2-0\n");
        body.ShouldNotContain("id: 1-0\n");
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("12")]
    [InlineData("1-0; drop")]
    [InlineData("-")]
    [InlineData("99999999999999999999-0")]
    [InlineData("18446744073709551615-18446744073709551615")]
    public async Task A_malformed_Last_Event_ID_is_a_400_naming_the_header(string lastEventId)
    {
        var jobId = AddJob("processing", ("1-0", "pending", 0));

        var (response, body) = await GetStreamAsync(gateway.Client, $"/v1/images/jobs/img_{jobId:N}/events", lastEventId);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var error = JsonNode.Parse(body)!["error"]!;
        ((string)error["details"]!["param"]!).ShouldBe("Last-Event-ID");
        ((string)error["message"]!).ShouldContain("Last-Event-ID");
        gateway.Internal.LastEventIds.ContainsKey(jobId).ShouldBeFalse();
    }

    [Fact]
    public async Task Another_keys_job_and_malformed_ids_have_no_stream_and_cannot_be_canceled()
    {
        var jobId = AddJob("processing", ("1-0", "processing", 10));
        var id = "img_" + jobId.ToString("N");

        (await GetStreamAsync(gateway.OtherClient, $"/v1/images/jobs/{id}/events")).Response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await gateway.OtherClient.PostAsync($"/v1/images/jobs/{id}/cancel", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        gateway.Internal.LastEventIds.ContainsKey(jobId).ShouldBeFalse();
        ((string?)gateway.Internal.Jobs[jobId]["state"]).ShouldBe("processing");

        foreach (var bad in new[] { "img_" + Guid.NewGuid().ToString("N"), jobId.ToString("N"), "img_xyz" })
        {
            (await GetStreamAsync(gateway.Client, $"/v1/images/jobs/{bad}/events")).Response.StatusCode.ShouldBe(HttpStatusCode.NotFound, bad);
            (await gateway.Client.PostAsync($"/v1/images/jobs/{bad}/cancel", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound, bad);
        }
    }

    [Fact]
    public async Task Cancel_answers_200_with_the_canceled_job_view()
    {
        var jobId = AddJob("processing");

        var view = await CancelAsync(jobId, HttpStatusCode.OK);

        ((string)view["id"]!).ShouldBe("img_" + jobId.ToString("N"));
        ((string)view["status"]!).ShouldBe("canceled");
        ((string)view["error"]!["code"]!).ShouldBe("canceled");
        view.AsObject().ContainsKey("poll_url").ShouldBeFalse();
    }

    [Fact]
    public async Task Cancel_of_a_finished_job_is_a_409_job_not_cancelable_with_the_job_view_beside_the_error()
    {
        var jobId = AddJob("completed");

        var response = await gateway.Client.PostAsync($"/v1/images/jobs/img_{jobId:N}/cancel", null);

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        response.Headers.GetValues("x-should-retry").ShouldBe(["false"]); // the OpenAI SDKs would otherwise send it twice more
        var body = await GatewayFixture.ReadJsonAsync(response);

        ((string)body["error"]!["code"]!).ShouldBe("job_not_cancelable");
        ((string)body["error"]!["type"]!).ShouldBe("invalid_request_error");
        ((string)body["error"]!["details"]!["status"]!).ShouldBe("completed");
        ((string)body["job"]!["id"]!).ShouldBe("img_" + jobId.ToString("N"));
        ((string)body["job"]!["status"]!).ShouldBe("completed");
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_stream_and_cancel_routes()
    {
        var document = await gateway.OpenApiAsync();
        var paths = document["paths"]!;

        var events = paths["/v1/images/jobs/{id}/events"]!["get"]!;
        events["responses"]!["200"]!["content"]!.AsObject().ContainsKey("text/event-stream").ShouldBeTrue();
        events["responses"]!.AsObject().ContainsKey("400").ShouldBeTrue();
        ((string)events["summary"]!).ShouldNotBeNullOrWhiteSpace();
        var cancel = paths["/v1/images/jobs/{id}/cancel"]!["post"]!;
        cancel["responses"]!.AsObject().ContainsKey("409").ShouldBeTrue();
        ((string)cancel["description"]!).ShouldContain("job_not_cancelable");
    }
}

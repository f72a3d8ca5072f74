namespace CCApi.EndToEnd.Tests;

/// <summary>Idempotency-Key through the real processes (Kestrel, the bus, JobStatus and the local adapter).</summary>
public sealed class IdempotencyEndToEndTests(PlatformFixture platform) : PlatformTest(platform)
{
    private static HttpRequestMessage Post(string path, string json, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(json) };
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    [Fact]
    public async Task An_async_image_job_retried_with_the_same_key_is_the_same_job_and_completes()
    {
        using var client = Platform.CreateClient();
        var key = Guid.NewGuid().ToString();
        var body = """{"model":"local/pixel-async-1","contents":[{"text":"An idempotent lighthouse"}],"parameters":{"width":64,"height":64}}""";

        var first = await client.SendAsync(Post("/v1/images/generate", body, key));
        var second = await client.SendAsync(Post("/v1/images/generate", body, key));

        first.StatusCode.ShouldBe(HttpStatusCode.Accepted, await first.Content.ReadAsStringAsync());
        second.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        second.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        var firstBody = await first.Content.ReadAsStringAsync();
        (await second.Content.ReadAsStringAsync()).ShouldBe(firstBody);
        var pollUrl = JsonNode.Parse(firstBody)!["poll_url"]!.GetValue<string>();
        (await TestInfrastructure.EventuallyAsync(async () =>
            JsonNode.Parse(await client.GetStringAsync(pollUrl))!["status"]!.GetValue<string>() == "completed",
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100))).ShouldBeTrue();
    }

    [Fact]
    public async Task A_streamed_chat_is_replayed_as_recorded_and_another_body_is_422()
    {
        using var client = Platform.CreateClient();
        var key = Guid.NewGuid().ToString();
        var body = """{"model":"local/echo-1","stream":true,"messages":[{"role":"user","content":"Outline a launch plan for CCAPI."}]}""";

        var first = await client.SendAsync(Post("/v1/chat/completions", body, key), HttpCompletionOption.ResponseHeadersRead);
        var firstText = await first.Content.ReadAsStringAsync();
        var second = await client.SendAsync(Post("/v1/chat/completions", body, key));
        var reused = await client.SendAsync(Post("/v1/chat/completions", body.Replace("launch", "landing", StringComparison.Ordinal), key));

        first.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        firstText.ShouldContain("data: [DONE]");
        second.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        (await second.Content.ReadAsStringAsync()).ShouldBe(firstText);
        reused.StatusCode.ShouldBe((HttpStatusCode)422);
        JsonNode.Parse(await reused.Content.ReadAsStringAsync())!["error"]!["code"]!.GetValue<string>().ShouldBe("idempotency_key_reused");
    }
}

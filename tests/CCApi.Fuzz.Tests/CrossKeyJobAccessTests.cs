namespace CCApi.Fuzz.Tests;

/// <summary>
/// Issue 11, "a second valid key reading, canceling or streaming another key's job → 404", end to end: key A (the
/// bootstrap key) makes an async image job (with a webhook) and a streaming chat; key B, a valid key made through the
/// admin API, gets 404 with the error object on every route that names a job — read, status events, cancel, webhook
/// redelivery, chat stream resume — at both the /v1 and the unprefixed paths, while A gets each of them (so a 404 for B
/// is the ownership check, not a wrong path or id), and A's job is untouched by B's cancel. Generated files are not in
/// this list on purpose: their signed URLs are the credential, by design, for whoever the client hands them to.
/// </summary>
public sealed class CrossKeyJobAccessTests(FuzzPlatform platform) : FuzzTest(platform)
{
    [Fact]
    public async Task Another_valid_key_gets_404_on_every_route_naming_a_job_it_did_not_make()
    {
        using var a = Platform.CreateClient();
        using var admin = Platform.CreateClient(Platform.AdminKey);
        using var created = await admin.PostAsync("/admin/v1/keys", Json("""{"name":"cross-key-b"}"""));
        var createdText = await created.Content.ReadAsStringAsync();
        created.StatusCode.ShouldBe(HttpStatusCode.Created, createdText);
        using var b = Platform.CreateClient((string)JsonNode.Parse(createdText)!["key"]!);
        (await b.GetAsync("/v1/key")).StatusCode.ShouldBe(HttpStatusCode.OK); // B is a valid key

        using var submitted = await a.PostAsync("/v1/images/generate", Json(
            """{"model":"local/pixel-async-1","contents":[{"text":"A's job"}],"parameters":{"width":64,"height":64},"webhook_url":"https://example.invalid/hook"}"""));
        var submittedText = await submitted.Content.ReadAsStringAsync();
        submitted.StatusCode.ShouldBe(HttpStatusCode.Accepted, submittedText);
        var job = (string)JsonNode.Parse(submittedText)!["id"]!;
        var chat = await StreamChatAsync(a);

        var routes = ApiPrefixes.SelectMany(p => new (HttpMethod Method, string Path)[]
        {
            (HttpMethod.Get, $"{p}/images/jobs/{job}"),
            (HttpMethod.Get, $"{p}/images/jobs/{job}/events"),
            (HttpMethod.Post, $"{p}/images/jobs/{job}/cancel"),
            (HttpMethod.Post, $"{p}/images/jobs/{job}/webhook/redeliver"),
            (HttpMethod.Get, $"{p}/chat/completions/{chat}/stream"),
        }).ToList();

        foreach (var (method, path) in routes)
        {
            using var response = await SendAsync(b, method, path);
            var text = await response.Content.ReadAsStringAsync();
            response.StatusCode.ShouldBe(HttpStatusCode.NotFound, $"{method} {path} as key B: {text}");
            ((string?)JsonNode.Parse(text)!["error"]!["message"]).ShouldNotBeNullOrEmpty(text);
            text.ShouldNotContain("A's job");
        }

        var status = (string?)JsonNode.Parse(await a.GetStringAsync($"/v1/images/jobs/{job}"))!["status"];
        status.ShouldNotBe("canceled", "key B's cancel reached A's job");
        foreach (var (method, path) in routes.Where(r => !r.Path.EndsWith("/cancel", StringComparison.Ordinal)).Append(routes.First(r => r.Path.EndsWith("/cancel", StringComparison.Ordinal))))
        {
            using var response = await SendAsync(a, method, path); // cancel last: it ends the job
            response.StatusCode.ShouldNotBe(HttpStatusCode.NotFound, $"{method} {path} as key A, the owner: {await ReadSomeAsync(response)}");
            ((int)response.StatusCode).ShouldBeLessThan(500, $"{method} {path} as key A");
        }
    }

    private static readonly string[] ApiPrefixes = ["/v1", ""];

    /// <summary>Only the headers are awaited: the status event streams stay open while the job runs.</summary>
    private static Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path) =>
        client.SendAsync(new HttpRequestMessage(method, path), HttpCompletionOption.ResponseHeadersRead);

    private static async Task<string> ReadSomeAsync(HttpResponseMessage response)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            return await response.Content.ReadAsStringAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            return "(an open stream)";
        }
    }

    /// <summary>A's streaming chat, read to its end; its id as the chunks carry it.</summary>
    private static async Task<string> StreamChatAsync(HttpClient client)
    {
        using var response = await client.PostAsync("/v1/chat/completions",
            Json("""{"model":"local/echo-1","messages":[{"role":"user","content":"A's chat"}],"stream":true}"""));
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        var first = text.Split('\n').First(l => l.StartsWith("data: {", StringComparison.Ordinal));
        return (string)JsonNode.Parse(first["data: ".Length..])!["id"]!;
    }

}

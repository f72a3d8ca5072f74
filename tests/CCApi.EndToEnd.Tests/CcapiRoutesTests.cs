using System.Text;
using System.Text.Json;
using CCApi.Outbound;

namespace CCApi.EndToEnd.Tests;

/// <summary>The CCAPI-only routes over plain HTTP, against the real processes.</summary>
public sealed class CcapiRoutesTests(PlatformFixture platform) : PlatformTest(platform)
{
    [Fact]
    public async Task Sync_multimodal_generation_answers_200_completed_with_data()
    {
        using var client = Platform.CreateClient();

        var response = await client.PostAsJsonAsync("/v1/images/generate", new
        {
            model = "local/pixel-1",
            contents = new[] { new { text = "A watercolor of CCAPI routing packets through a forest" } },
            parameters = new { aspect_ratio = "16:9", quality = "hd", num_images = 1, seed = 7, response_format = "b64_json" },
        });

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        body["status"]!.GetValue<string>().ShouldBe("completed");
        body["execution"]!["mode"]!.GetValue<string>().ShouldBe("sync");
        body["execution"]!["operation"]!.GetValue<string>().ShouldBe("text-to-image");
        body["execution"]!["provider"]!.GetValue<string>().ShouldBe("local");
        var png = Convert.FromBase64String(body["data"]![0]!["b64_json"]!.GetValue<string>());
        var (width, height) = Png.Dimensions(png);
        ((double)width / height).ShouldBe(16.0 / 9.0, 0.01);
        body["data"]![0]!["seed"]!.GetValue<long>().ShouldBe(7);
        body["poll_url"].ShouldBeNull();
        body["error"].ShouldBeNull();
    }

    [Fact]
    public async Task Image_to_image_operation_is_derived_from_the_contents()
    {
        using var client = Platform.CreateClient();
        var input = Convert.ToBase64String(await MakePngAsync(client));

        var response = await client.PostAsJsonAsync("/v1/images/generate", new
        {
            model = "local/pixel-1",
            contents = new object[] { new { text = "make it autumn", image = new { data = input, mime_type = "image/png" } } },
            parameters = new { width = 128, height = 96 },
        });

        var raw = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, raw);
        raw.ShouldNotContain("\\u0026"); // URLs read as written: '&', not an escape
        var body = JsonNode.Parse(raw)!;
        body["execution"]!["operation"]!.GetValue<string>().ShouldBe("image-to-image");
        var url = body["data"]![0]!["url"]!.GetValue<string>();
        using var anonymous = new HttpClient();
        Png.Dimensions(await anonymous.GetByteArrayAsync(url)).ShouldBe((128, 96));
    }

    [Fact]
    public async Task The_admin_job_list_pages_newest_first_with_last_id_as_the_cursor()
    {
        using var client = Platform.CreateClient();
        var ours = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var response = await client.PostAsJsonAsync("/v1/images/generate", new
            {
                model = "local/pixel-async-1",
                contents = new[] { new { text = $"listed job {i}" } },
                parameters = new { width = 64, height = 64 },
            });
            response.StatusCode.ShouldBe(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
            ours.Add(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.GetValue<string>());
            await Task.Delay(5); // distinct registration times
        }

        using var admin = Platform.CreateClient(Platform.AdminApiKey);
        async Task<JsonNode> PageAsync(string query)
        {
            var response = await admin.GetAsync("/admin/v1/jobs?" + query);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            response.StatusCode.ShouldBe(HttpStatusCode.OK, body.ToJsonString());
            return body;
        }

        var all = (await PageAsync("limit=200"))["data"]!.AsArray().Select(j => j!["id"]!.GetValue<string>()).ToList();
        all.IndexOf(ours[1]).ShouldBeLessThan(all.IndexOf(ours[0])); // newest first
        var page = await PageAsync($"limit=1&after={ours[1]}");
        page["data"]!.AsArray().ShouldHaveSingleItem();
        page["first_id"]!.GetValue<string>().ShouldBe(all[all.IndexOf(ours[1]) + 1]); // no gap, no repeat
        page["last_id"]!.GetValue<string>().ShouldBe(page["first_id"]!.GetValue<string>());
        page["has_more"]!.GetValue<bool>().ShouldBe(all.Count > all.IndexOf(ours[1]) + 2);

        if (all.Count < 200) // the whole list fits one page: after its oldest job comes an empty page, ids null as OpenAI's
        {
            var empty = await PageAsync($"limit=5&after={all[^1]}");
            empty["data"]!.AsArray().ShouldBeEmpty();
            empty["has_more"]!.GetValue<bool>().ShouldBeFalse();
            empty.AsObject().ContainsKey("last_id").ShouldBeTrue();
            empty["last_id"].ShouldBeNull();
            empty["first_id"].ShouldBeNull();
        }

        var unknown = await admin.GetAsync("/admin/v1/jobs?after=img_00000000000000000000000000000001");
        unknown.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        JsonNode.Parse(await unknown.Content.ReadAsStringAsync())!["error"]!["details"]!["param"]!.GetValue<string>().ShouldBe("after");
        (await admin.GetAsync("/admin/v1/jobs?after=nope")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Async_generation_answers_202_and_the_job_moves_from_pending_through_processing_to_completed()
    {
        using var client = Platform.CreateClient();

        var response = await client.PostAsJsonAsync("/v1/images/generate", new
        {
            model = "local/pixel-async-1",
            contents = new[] { new { text = "A lighthouse at dusk" } },
            parameters = new { num_images = 2, width = 64, height = 64 },
        });

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var accepted = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        accepted["status"]!.GetValue<string>().ShouldBe("pending");
        accepted["execution"]!["mode"]!.GetValue<string>().ShouldBe("async");
        accepted["estimated_time"]!.GetValue<double>().ShouldBeGreaterThan(0);
        var pollUrl = accepted["poll_url"]!.GetValue<string>();
        pollUrl.ShouldBe($"{Platform.BaseUrl}/images/jobs/{accepted["id"]!.GetValue<string>()}");
        response.Headers.Location!.ToString().ShouldBe(pollUrl);

        var seen = new List<string>();
        JsonNode? job = null;
        var finished = await TestInfrastructure.EventuallyAsync(async () =>
        {
            job = JsonNode.Parse(await client.GetStringAsync(pollUrl))!;
            var status = job["status"]!.GetValue<string>();
            if (seen.Count == 0 || seen[^1] != status)
            {
                seen.Add(status);
            }

            return status is "completed" or "failed";
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(40));

        finished.ShouldBeTrue(string.Join(",", seen));
        seen.ShouldContain("processing");
        seen[^1].ShouldBe("completed");
        seen.IndexOf("processing").ShouldBeLessThan(seen.IndexOf("completed"));
        job!["data"]!.AsArray().Count.ShouldBe(2);
        using var anonymous = new HttpClient();
        foreach (var item in job["data"]!.AsArray())
        {
            Png.Dimensions(await anonymous.GetByteArrayAsync(item!["url"]!.GetValue<string>())).ShouldBe((64, 64));
        }
    }

    [Fact]
    public async Task A_failed_async_job_ends_as_failed_with_an_error_object()
    {
        using var client = Platform.CreateClient();

        // The adapter fetches image URLs itself; one that answers 404 fails the job (not the request).
        var response = await client.PostAsJsonAsync("/v1/images/generate", new
        {
            model = "local/pixel-async-1",
            contents = new object[] { new { text = "remix", image = new { url = $"{Platform.Origin}/v1/files/{new string('0', 32)}?expires=1&signature=x" } } },
        });

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var pollUrl = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["poll_url"]!.GetValue<string>();
        JsonNode? job = null;
        (await TestInfrastructure.EventuallyAsync(async () =>
        {
            job = JsonNode.Parse(await client.GetStringAsync(pollUrl))!;
            return job["status"]!.GetValue<string>() is "failed" or "completed";
        }, TimeSpan.FromSeconds(30))).ShouldBeTrue();

        job!["status"]!.GetValue<string>().ShouldBe("failed");
        job["error"]!["message"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace();
        job["error"]!["type"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace();
        job["data"].ShouldBeNull();
    }

    [Fact]
    public async Task Webhook_receives_the_final_payload_signed_to_the_Standard_Webhooks_spec_and_is_redelivered_on_request()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var client = Platform.CreateClient();

        var response = await client.PostAsJsonAsync("/v1/images/generate", new
        {
            model = "local/pixel-async-1",
            contents = new[] { new { text = "webhook please" } },
            parameters = new { width = 64, height = 64 },
            webhook_url = receiver.Url,
        });
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var id = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();

        var (body, headers) = await receiver.NextAsync();

        new StandardWebhooks.StandardWebhook(Platform.WebhookSecret).Verify(body, headers); // throws if not valid
        headers["webhook-id"].ToString().ShouldBe($"msg_{id[4..]}_completed");
        var payload = JsonNode.Parse(body)!;
        payload["id"]!.GetValue<string>().ShouldBe(id);
        payload["status"]!.GetValue<string>().ShouldBe("completed");
        payload["data"]!.AsArray().Count.ShouldBe(1);
        headers["X-CCAPI-Event"].ToString().ShouldBe("job.completed");
        WebhookReceiver.ShouldCarryTheCcapiSignature(body, headers, Platform.WebhookSecret); // deprecated header

        JsonNode? view = null;
        (await TestInfrastructure.EventuallyAsync(async () =>
            (view = JsonNode.Parse(await client.GetStringAsync($"/v1/images/jobs/{id}")))!["webhook"]?["status"]?.GetValue<string>() == "delivered",
            TimeSpan.FromSeconds(30))).ShouldBeTrue(view?.ToJsonString());
        view!["webhook"]!["attempts"]!.GetValue<int>().ShouldBe(1);

        using var redeliver = await client.PostAsync($"/v1/images/jobs/{id}/webhook/redeliver", null);
        redeliver.StatusCode.ShouldBe(HttpStatusCode.Accepted, await redeliver.Content.ReadAsStringAsync());
        var (again, againHeaders) = await receiver.NextAsync();
        new StandardWebhooks.StandardWebhook(Platform.WebhookSecret).Verify(again, againHeaders);
        againHeaders["webhook-id"].ToString().ShouldBe(headers["webhook-id"].ToString());
    }

    [Fact]
    public async Task A_sync_models_job_with_a_webhook_url_answers_200_and_sends_the_same_result_signed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var client = Platform.CreateClient();

        var response = await client.PostAsJsonAsync("/v1/images/generate", new
        {
            model = "local/pixel-1",
            contents = new[] { new { text = "a sync webhook please" } },
            parameters = new { width = 64, height = 64, response_format = "b64_json" },
            webhook_url = receiver.Url,
        });
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var id = answer["id"]!.GetValue<string>();
        answer["status"]!.GetValue<string>().ShouldBe("completed");

        var (body, headers) = await receiver.NextAsync();

        new StandardWebhooks.StandardWebhook(Platform.WebhookSecret).Verify(body, headers);
        headers["webhook-id"].ToString().ShouldBe($"msg_{id[4..]}_completed");
        headers["X-CCAPI-Event"].ToString().ShouldBe("job.completed");
        var payload = JsonNode.Parse(body)!;
        payload["id"]!.GetValue<string>().ShouldBe(id);
        payload["execution"]!["mode"]!.GetValue<string>().ShouldBe("sync");
        payload["data"]![0]!["b64_json"]!.GetValue<string>().ShouldBe(answer["data"]![0]!["b64_json"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_key_sees_only_its_own_jobs()
    {
        using var client = Platform.CreateClient();
        var response = await client.PostAsJsonAsync("/v1/images/generate", new
        {
            model = "local/pixel-async-1",
            contents = new[] { new { text = "mine" } },
            parameters = new { width = 64, height = 64 },
        });
        var pollUrl = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["poll_url"]!.GetValue<string>();

        using var stranger = Platform.CreateClient("sk-not-a-key");
        (await stranger.GetAsync(pollUrl)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await client.GetAsync($"{Platform.BaseUrl}/images/jobs/img_{Guid.NewGuid():N}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await client.GetAsync($"{Platform.BaseUrl}/images/jobs/not-a-job")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Speech_in_ccapi_mode_returns_json_with_a_fetchable_url()
    {
        using var client = Platform.CreateClient();

        var response = await client.PostAsJsonAsync("/v1/audio/speech", new
        {
            model = "local/espeak-1",
            input = "Welcome to CCAPI, your unified AI gateway.",
            voice = "aria",
            output_format = "ogg",
            response_format = "url",
        });

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        body["format"]!.GetValue<string>().ShouldBe("ogg");
        using var anonymous = new HttpClient();
        var audio = await anonymous.GetByteArrayAsync(body["url"]!.GetValue<string>());
        Encoding.ASCII.GetString(audio, 0, 4).ShouldBe("OggS");
    }

    [Fact]
    public async Task Providers_are_listed_with_live_status_and_details()
    {
        using var client = Platform.CreateClient();

        var list = JsonNode.Parse(await client.GetStringAsync("/v1/providers"))!;
        list["object"]!.GetValue<string>().ShouldBe("list");
        var names = list["data"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ToList();
        names.ShouldContain("local");
        names.ShouldContain("openai");

        var local = JsonNode.Parse(await client.GetStringAsync("/v1/providers/local"))!;
        local["status"]!.GetValue<string>().ShouldBe("available");
        local["models"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()).ShouldContain("local/echo-1");

        (await client.GetAsync("/v1/providers/nope")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Models_can_be_filtered_sorted_and_paged()
    {
        using var client = Platform.CreateClient();

        var images = JsonNode.Parse(await client.GetStringAsync("/v1/models?provider=local&type=image&sort=id&order=desc"))!;
        var ids = images["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()).ToList();
        ids.ShouldBe(["local/pixel-async-1", "local/pixel-1"]);

        var page = JsonNode.Parse(await client.GetStringAsync("/v1/models?sort=id&limit=1&offset=1"))!;
        page["data"]!.AsArray().Count.ShouldBe(1);

        var bad = await client.GetAsync("/v1/models?limit=zero");
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await bad.Content.ReadAsStringAsync()).ShouldContain("limit");
    }

    [Fact]
    public async Task Unprefixed_paths_serve_the_same_api()
    {
        using var client = Platform.CreateClient();

        var response = await client.GetAsync("/models");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).ShouldContain("local/echo-1");
    }

    [Theory]
    [InlineData("/v1/chat/completions", "{\"model\":\"local/echo-1\",\"messages\":\"hello\"}", "messages")]
    [InlineData("/v1/chat/completions", "{\"model\":\"local/echo-1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":7}", "temperature")]
    [InlineData("/v1/chat/completions", "{\"model\":\"local/echo-1\"", "body")]
    [InlineData("/v1/audio/speech", "{\"model\":\"local/espeak-1\",\"voice\":\"alloy\"}", "input")]
    [InlineData("/v1/images/generations", "{\"model\":\"local/pixel-1\",\"prompt\":\"x\",\"n\":100}", "n")]
    [InlineData("/v1/images/generate", "{\"model\":\"local/pixel-1\",\"contents\":[]}", "contents")]
    [InlineData("/v1/images/generate", "{\"model\":\"local/pixel-1\",\"contents\":[{\"text\":\"x\"}],\"webhook_url\":\"ftp://x\"}", "webhook_url")]
    public async Task Bad_input_is_a_400_naming_the_field(string path, string json, string field)
    {
        using var client = Platform.CreateClient();

        var response = await client.PostAsync(path, Json(json));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        error["type"]!.GetValue<string>().ShouldBe("invalid_request_error");
        error["message"]!.GetValue<string>().ShouldContain(field);
    }

    [Fact]
    public async Task Missing_key_is_401_with_the_documented_error()
    {
        using var client = new HttpClient { BaseAddress = new Uri(Platform.Origin) };

        var response = await client.GetAsync("/v1/models");

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        error["message"]!.GetValue<string>().ShouldBe("Missing or invalid Authorization header");
        error["type"]!.GetValue<string>().ShouldBe("invalid_request_error");
        error["code"]!.GetValue<string>().ShouldBe("unauthorized");
    }

    [Fact]
    public async Task Unknown_model_is_model_not_found()
    {
        using var client = Platform.CreateClient();

        var response = await client.PostAsJsonAsync("/v1/images/generations", new { model = "acme/imaginary", prompt = "x" });

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["code"]!.GetValue<string>().ShouldBe("model_not_found");
    }

    private static async Task<byte[]> MakePngAsync(HttpClient client)
    {
        var response = await client.PostAsJsonAsync("/v1/images/generations", new { model = "local/pixel-1", prompt = "seed image", size = "64x64", response_format = "b64_json" });
        response.EnsureSuccessStatusCode();
        return Convert.FromBase64String(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]![0]!["b64_json"]!.GetValue<string>());
    }
}

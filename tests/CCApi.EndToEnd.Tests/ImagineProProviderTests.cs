using CCApi.Emulators.ImaginePro;
using CCApi.Outbound;

namespace CCApi.EndToEnd.Tests;

/// <summary>
/// The imaginepro provider end to end: 202 → pending → processing (with rising progress, as the adapter polls the
/// ImaginePro emulator) → completed, the signed webhook with the final payload, and a provider-side failure.
/// </summary>
public sealed class ImagineProProviderTests(PlatformFixture platform) : PlatformTest(platform)
{
    [Fact]
    public async Task Nano_banana_job_goes_from_202_through_rising_progress_to_completed_and_signs_the_webhook()
    {
        Platform.ImaginePro.Reset();
        await using var hook = await WebhookReceiver.StartAsync();
        using var client = Platform.CreateClient();

        using var response = await client.PostAsJsonAsync("/v1/images/generate", new
        {
            model = "imaginepro/nano-banana",
            contents = new[] { new { text = "a banana made of glass" } },
            webhook_url = hook.Url,
        });

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var accepted = (await response.Content.ReadFromJsonAsync<JsonNode>())!;
        ((string)accepted["status"]!).ShouldBe("pending");
        var id = (string)accepted["id"]!;
        var pollUrl = (string)accepted["poll_url"]!;

        var seen = new List<(string Status, int Progress)>();
        JsonNode? final = null;
        var done = await TestInfrastructure.EventuallyAsync(async () =>
        {
            var job = (await client.GetFromJsonAsync<JsonNode>(pollUrl))!;
            seen.Add(((string)job["status"]!, (int?)job["progress"] ?? 0));
            final = job;
            return (string)job["status"]! is "completed" or "failed";
        }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100));

        done.ShouldBeTrue();
        ((string)final!["status"]!).ShouldBe("completed", final.ToJsonString());
        seen.ShouldContain(s => s.Status == "processing" && s.Progress > 0 && s.Progress < 100);
        seen.Select(s => s.Progress).ShouldBeInOrder(SortDirection.Ascending); // progress never goes backwards
        var url = (string)final["data"]![0]!["url"]!;
        using var anonymous = new HttpClient();
        (await anonymous.GetByteArrayAsync(url))[..4].ShouldBe(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' });

        Platform.ImaginePro.Submits.ShouldBe(1);
        var submit = JsonNode.Parse(Platform.ImaginePro.Requests.First(r => r.Path == ImagineProEmulator.SubmitPath).Body)!;
        submit.ToJsonString().ShouldContain("a banana made of glass");
        submit.ToJsonString().ShouldContain("nano-banana");

        var (body, headers) = await hook.NextAsync();
        var payload = JsonNode.Parse(body)!;
        ((string)payload["id"]!).ShouldBe(id);
        ((string)payload["status"]!).ShouldBe("completed");
        WebhookReceiver.ShouldCarryTheCcapiSignature(body, headers, Platform.WebhookSecret);
    }

    [Fact]
    public async Task A_generation_the_provider_fails_ends_the_job_failed_with_the_providers_message()
    {
        Platform.ImaginePro.Reset();
        using var client = Platform.CreateClient();

        using var response = await client.PostAsJsonAsync("/v1/images/generate", new
        {
            model = "imaginepro/nano-banana",
            contents = new[] { new { text = "please " + ImagineProEmulator.FailPrompt } },
        });
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var pollUrl = (string)(await response.Content.ReadFromJsonAsync<JsonNode>())!["poll_url"]!;

        JsonNode? final = null;
        (await TestInfrastructure.EventuallyAsync(async () =>
        {
            final = (await client.GetFromJsonAsync<JsonNode>(pollUrl))!;
            return (string)final["status"]! is "completed" or "failed";
        }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100))).ShouldBeTrue();

        ((string)final!["status"]!).ShouldBe("failed");
        ((string)final["error"]!["code"]!).ShouldBe("provider_error");
        ((string)final["error"]!["message"]!).ShouldContain(ImagineProEmulator.GenerationError);
    }
}

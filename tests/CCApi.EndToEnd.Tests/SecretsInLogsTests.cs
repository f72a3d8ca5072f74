using CCApi.Outbound;

namespace CCApi.EndToEnd.Tests;

/// <summary>
/// Issue 11: no API key, provider key or webhook secret ever appears in a log line or a span — checked over the output
/// and span files of every process of the full platform after traffic through every provider (each adapter sends its
/// provider key upstream on every call).
/// </summary>
public sealed class SecretsInLogsTests(PlatformFixture platform) : PlatformTest(platform)
{
    [Fact]
    public async Task No_client_key_provider_key_or_webhook_secret_appears_in_any_log_or_span_file()
    {
        using var http = Platform.CreateClient();
        (await http.PostAsJsonAsync("/v1/chat/completions", new { model = "openai/gpt-4o-mini", messages = new[] { new { role = "user", content = "hi" } } })).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync("/v1/audio/speech", new { model = "elevenlabs/eleven_turbo_v2", input = "Hi", voice = "21m00Tcm4TlvDq8ikWAM" })).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync("/v1/images/generate", new { model = "stabilityai/stable-diffusion-xl-1024-v1-0", contents = new[] { new { text = "a lighthouse" } } })).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync("/v1/images/generate", new { model = "imaginepro/nano-banana", contents = new[] { new { text = "a lighthouse" } } })).EnsureSuccessStatusCode();
        using var wrong = Platform.CreateClient("sk-wrong-" + Platform.ApiKey);
        ((int)(await wrong.GetAsync("/v1/key")).StatusCode).ShouldBe(401);
        await Task.Delay(TimeSpan.FromSeconds(2)); // output and batched spans reach their files

        var secrets = new List<(string What, string Value)> { ("API key", Platform.ApiKey), ("webhook secret", Platform.WebhookSecret) };
        secrets.AddRange(Platform.Providers.Select(p => ($"{p.Name} key", p.Emulator.ApiKey)));
        foreach (var process in Platform.Processes)
        {
            var spans = File.Exists(Platform.SpanFile(process.Name)) ? await File.ReadAllTextAsync(Platform.SpanFile(process.Name)) : "";
            foreach (var (what, value) in secrets)
            {
                process.Output.Contains(value, StringComparison.Ordinal).ShouldBeFalse($"{process.Name} logged the {what}");
                spans.Contains(value, StringComparison.Ordinal).ShouldBeFalse($"{process.Name} put the {what} in a span");
            }
        }
    }
}

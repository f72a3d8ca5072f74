using System.Net.Sockets;

namespace CCApi.Fuzz.Tests;

/// <summary>
/// Issue 11, "security checks as tests", on the real processes: a webhook_url on loopback in any of its spellings is
/// never connected to (this platform does not allow private networks); no secret a service was given — API key, admin
/// key, signing key, webhook secret — appears in any line any service wrote, after traffic that used all of them.
/// </summary>
public sealed class SecurityTests(FuzzPlatform platform) : FuzzTest(platform)
{
    [Fact]
    public async Task A_webhook_url_on_loopback_in_any_spelling_is_never_connected_to()
    {
        await using var listener = new ConnectionCounter();
        var port = listener.Port;
        string[] hosts = ["127.0.0.1", "localhost", "[::1]", "[::ffff:127.0.0.1]", "2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0.0.0.0", "[::]"];
        using var client = Platform.CreateClient();
        var jobs = new List<(string Host, string Id)>();

        foreach (var host in hosts)
        {
            var body = $$"""{"model":"local/pixel-async-1","contents":[{"text":"ssrf"}],"parameters":{"width":64,"height":64},"webhook_url":"http://{{host}}:{{port}}/hook"}""";
            using var response = await client.PostAsync("/v1/images/generate", Json(body));
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.BadRequest)
            {
                ((string?)JsonNode.Parse(text)!["error"]!["details"]?["param"]).ShouldBe("webhook_url", text);
                continue;
            }

            response.StatusCode.ShouldBe(HttpStatusCode.Accepted, $"{host}: {text}");
            jobs.Add((host, (string)JsonNode.Parse(text)!["id"]!));
        }

        // Every accepted job ends (and its webhook is attempted) before the listener is asked.
        foreach (var (host, id) in jobs)
        {
            var ended = await TestInfrastructure.EventuallyAsync(async () =>
            {
                var job = JsonNode.Parse(await client.GetStringAsync($"/v1/images/jobs/{id}"));
                return (string?)job?["status"] is "completed" or "failed";
            }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));
            ended.ShouldBeTrue($"job {id} for {host} never ended");
        }

        await Task.Delay(TimeSpan.FromSeconds(2)); // webhook delivery follows the terminal state
        listener.Connections.ShouldBe(0, "a webhook reached a loopback listener");
        Platform.Processes.Single(p => p.Name == "CCApi.JobStatus").Output.ShouldNotContain($":{port}/hook\" delivered", Case.Insensitive);
    }

    [Fact]
    public async Task No_secret_a_service_was_given_appears_in_any_service_log()
    {
        using var client = Platform.CreateClient();
        using var admin = Platform.CreateClient(Platform.AdminKey);
        using var wrong = Platform.CreateClient("sk-wrong-" + Platform.ApiKey); // a refused key that contains the real one
        (await client.PostAsync("/v1/chat/completions", Json("""{"model":"local/echo-1","messages":[{"role":"user","content":"log me"}]}"""))).EnsureSuccessStatusCode();
        (await client.PostAsync("/v1/chat/completions", Json("""{"model":"local/echo-1","messages":[{"role":"user","content":"x"}],"stream":true}"""))).EnsureSuccessStatusCode();
        (await client.PostAsync("/v1/images/generations", Json("""{"model":"local/pixel-1","prompt":"p","size":"64x64"}"""))).EnsureSuccessStatusCode();
        (await client.PostAsync("/v1/images/generate", Json("""{"model":"local/pixel-async-1","contents":[{"text":"p"}],"webhook_url":"https://example.invalid/h"}"""))).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await client.PostAsync("/v1/audio/speech", Json("""{"model":"local/espeak-1","input":"hi","voice":"alloy"}"""))).EnsureSuccessStatusCode();
        (await admin.PostAsync("/admin/v1/keys", Json("""{"name":"log-check","credits_usd":1}"""))).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await wrong.GetAsync("/v1/key")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await admin.GetAsync("/v1/key")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized); // the admin key on a client route
        await Task.Delay(TimeSpan.FromSeconds(1)); // the processes' output reaches their pipes

        foreach (var process in Platform.AllProcesses)
        {
            var log = process.Output;
            log.ShouldNotBeEmpty();
            foreach (var secret in Platform.Secrets)
            {
                log.Contains(secret, StringComparison.Ordinal).ShouldBeFalse($"{process.Name} logged a secret ({secret[..6]}…)");
                log.Contains(secret[..Math.Min(24, secret.Length)], StringComparison.Ordinal).ShouldBeFalse($"{process.Name} logged part of a secret ({secret[..6]}…)");
            }
        }
    }

}

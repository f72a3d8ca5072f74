using System.Text;
using CsCheck;
using Xunit.Abstractions;

namespace CCApi.Fuzz.Tests;

/// <summary>
/// Issue 11, "bad input never reaches a 500 or a hang": generated hostile requests (CsCheck) and every corpus value,
/// across every route of the real gateway process — each answer a success or a 4xx with the CCAPI error object (never a
/// 500; a 5xx only as a documented provider answer), and the platform still serving valid requests afterwards.
/// CCAPI_FUZZ_ITERATIONS sets the number of generated requests (default 5000), CCAPI_FUZZ_SEED replays a failure.
/// </summary>
public sealed class HostileInputFuzzTests(FuzzPlatform platform, ITestOutputHelper output) : FuzzTest(platform)
{
    private static int Iterations =>
        int.TryParse(Environment.GetEnvironmentVariable("CCAPI_FUZZ_ITERATIONS"), out var n) && n > 0 ? n : 5000;

    [Fact]
    public async Task Generated_hostile_requests_on_every_route_answer_a_success_or_a_4xx_with_the_error_object()
    {
        var rules = new ResponseRules();
        using var client = Platform.CreateClient();
        var cases = Gen.Select(Gen.Int[0, HostileRequests.Routes - 1], Gen.Int[0, HostileRequests.Mutations - 1], Gen.Int[0, 1000], Gen.Int[0, int.MaxValue],
            (route, mutation, field, seed) => new FuzzCase(route, mutation, field, seed));

        await cases.SampleAsync(async c =>
        {
            var (request, admin, description) = HostileRequests.Build(c);
            using (request)
            {
                await SendAndCheckAsync(client, request, admin, description, rules);
            }
        }, seed: Environment.GetEnvironmentVariable("CCAPI_FUZZ_SEED"), iter: Iterations, threads: 6, writeLine: output.WriteLine);

        Record("generated", rules);
        rules.Requests.ShouldBeGreaterThanOrEqualTo(Iterations);
        await ValidRequestsStillSucceedAsync(client);
    }

    [Fact]
    public async Task Every_corpus_value_in_fields_of_every_body_route_answers_a_success_or_a_4xx_with_the_error_object()
    {
        var rules = new ResponseRules();
        using var client = Platform.CreateClient();
        var failures = new List<string>();
        using var gate = new SemaphoreSlim(6);
        var work = new List<Task>();
        foreach (var route in HostileRequests.BodyRoutes)
        {
            for (var i = 0; i < HostileRequests.Corpus.Count; i++)
            {
                var value = HostileRequests.Corpus[i];
                var field = route.Fields[i % route.Fields.Length];
                work.Add(Task.Run(async () =>
                {
                    await gate.WaitAsync();
                    try
                    {
                        using var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Path)
                        {
                            Content = new ByteArrayContent(HostileRequests.With(route.Body, field, value)),
                        };
                        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
                        var description = $"{route.Method} {route.Path}: {field} = {Encoding.UTF8.GetString(value)}";
                        try
                        {
                            await SendAndCheckAsync(client, request, route.Admin, description, rules);
                        }
                        catch (Exception ex) when (ex is ShouldAssertException or InvalidOperationException)
                        {
                            lock (failures)
                            {
                                failures.Add(ex.Message);
                            }
                        }
                    }
                    finally
                    {
                        gate.Release();
                    }
                }));
            }
        }

        await Task.WhenAll(work);
        Record("corpus", rules);
        failures.ShouldBeEmpty(string.Join("\n", failures.Take(20)));
        await ValidRequestsStillSucceedAsync(client);
    }

    private async Task SendAndCheckAsync(HttpClient client, HttpRequestMessage request, bool admin, string description, ResponseRules rules)
    {
        HostileRequests.Authorize(request, admin ? Platform.AdminKey : Platform.ApiKey);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        }
        catch (TaskCanceledException ex)
        {
            throw new InvalidOperationException($"No answer within {client.Timeout.TotalSeconds} s (a hang): {description}", ex);
        }
        catch (HttpRequestException ex)
        {
            throw new InvalidOperationException($"The connection failed without an answer ({ex.Message}): {description}", ex);
        }

        using (response)
        {
            var problem = await rules.CheckAsync(response);
            problem.ShouldBeNull($"{description} → {problem}");
        }
    }

    /// <summary>After the hostile traffic, the platform answers valid chat, image and speech requests.</summary>
    private static async Task ValidRequestsStillSucceedAsync(HttpClient client)
    {
        (string Path, string Body)[] valid =
        [
            ("/v1/chat/completions", """{"model":"local/echo-1","messages":[{"role":"user","content":"still alive?"}]}"""),
            ("/v1/images/generations", """{"model":"local/pixel-1","prompt":"ok","size":"64x64","response_format":"b64_json"}"""),
            ("/v1/audio/speech", """{"model":"local/espeak-1","input":"ok","voice":"alloy","response_format":"wav"}"""),
        ];
        foreach (var (path, body) in valid)
        {
            using var response = await client.PostAsync(path, Json(body));
            response.StatusCode.ShouldBe(HttpStatusCode.OK, $"{path}: {await response.Content.ReadAsStringAsync()}");
        }

        var chat = JsonNode.Parse(await (await client.PostAsync("/v1/chat/completions",
            Json("""{"model":"local/echo-1","messages":[{"role":"user","content":"echo"}]}"""))).Content.ReadAsStringAsync());
        ((string?)chat?["choices"]?[0]?["message"]?["content"]).ShouldNotBeNullOrEmpty();
    }

    private void Record(string suite, ResponseRules rules)
    {
        var line = $"{suite}: {rules.Summary()}";
        output.WriteLine(line);
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "ccapi-fuzz-figures.txt"), $"{DateTimeOffset.UtcNow:O} {line}\n");
    }
}

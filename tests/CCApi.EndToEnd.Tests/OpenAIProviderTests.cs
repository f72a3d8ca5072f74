using System.Text.Json;
using CCApi.Emulators;
using OpenAI.Audio;
using OpenAI.Chat;
using OpenAI.Images;

namespace CCApi.EndToEnd.Tests;

/// <summary>
/// The openai provider end to end: the official OpenAI SDK → gateway → RabbitMQ → the OpenAI adapter process → the
/// OpenAI emulator (configured through OPENAI_API_KEY / OPENAI_BASE_URL), and back; plus failover, mid-stream failure and
/// the circuit breaker as a client sees them.
/// </summary>
public sealed class OpenAIProviderTests(PlatformFixture platform) : PlatformTest(platform)
{
    private Emulators.OpenAI.OpenAIEmulator Emulator => Platform.OpenAI;

    [Fact]
    public async Task Chat_reaches_the_upstream_with_the_providers_model_id_and_the_platforms_key()
    {
        Emulator.Reset();

        var result = (await Sdk.GetChatClient("openai/gpt-4o-mini").CompleteChatAsync([new UserChatMessage("Hello upstream")])).Value;

        result.Content[0].Text.ShouldBe("Emulated reply to: Hello upstream");
        result.Model.ShouldBe("openai/gpt-4o-mini");
        result.Usage.TotalTokenCount.ShouldBeGreaterThan(0);
        var request = Emulator.Requests.ShouldHaveSingleItem();
        request.Path.ShouldBe("/v1/chat/completions");
        request.Authorization.ShouldBe("Bearer " + Emulator.ApiKey);
        JsonNode.Parse(request.Body)!["model"]!.GetValue<string>().ShouldBe("gpt-4o-mini");
    }

    [Fact]
    public async Task Prompt_tokens_OpenAI_served_from_its_cache_reach_the_sdk_and_are_billed_at_the_cached_price()
    {
        Emulator.Reset();
        var rules = new SystemChatMessage("House rules: " + string.Join(' ', Enumerable.Range(0, 700).Select(i => $"rule-{i}")));
        var chat = Sdk.GetChatClient("openai/gpt-4o-mini");

        var first = (await chat.CompleteChatAsync([rules, new UserChatMessage("First question?")])).Value.Usage;
        var second = (await chat.CompleteChatAsync([rules, new UserChatMessage("And a second one?")])).Value.Usage;

        first.InputTokenDetails.CachedTokenCount.ShouldBe(0);
        second.InputTokenDetails.CachedTokenCount.ShouldBeGreaterThanOrEqualTo(1024); // OpenAI's cached prefix, as the emulator reports it
        second.InputTokenDetails.CachedTokenCount.ShouldBeLessThan(second.InputTokenCount);
        second.OutputTokenDetails.ReasoningTokenCount.ShouldBe(0);

        using var http = Platform.CreateClient(); // the same again, for our cost_usd beside OpenAI's usage
        using var response = await http.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "openai/gpt-4o-mini",
            messages = new object[] { new { role = "system", content = rules.Content[0].Text }, new { role = "user", content = "A third?" } },
        });
        var usage = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["usage"]!;
        var (prompt, cached, completion) = (usage["prompt_tokens"]!.GetValue<int>(), usage["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>(), usage["completion_tokens"]!.GetValue<int>());
        cached.ShouldBeGreaterThanOrEqualTo(1024);
        usage["cost_usd"]!.GetValue<decimal>().ShouldBe(((prompt - cached) * 0.15m / 1_000_000m) + (cached * 0.075m / 1_000_000m) + (completion * 0.6m / 1_000_000m));
    }

    [Fact]
    public async Task A_reasoning_models_reasoning_tokens_reach_the_sdk()
    {
        Emulator.Reset();

        var usage = (await Sdk.GetChatClient("openai/o3-mini").CompleteChatAsync([new UserChatMessage("Think it over")])).Value.Usage;

        usage.OutputTokenDetails.ReasoningTokenCount.ShouldBe(Emulators.OpenAI.OpenAIEmulator.ReasoningTokensPerChoice);
        usage.OutputTokenCount.ShouldBeGreaterThan(usage.OutputTokenDetails.ReasoningTokenCount);
    }

    [Fact]
    public async Task A_model_outside_the_catalog_is_passed_through_to_the_OpenAI_compatible_server()
    {
        Emulator.Reset();

        var result = (await Sdk.GetChatClient("openai/llama3.1:8b").CompleteChatAsync([new UserChatMessage("Which model are you?")])).Value;

        result.Model.ShouldBe("openai/llama3.1:8b");
        result.Content[0].Text.ShouldBe("Emulated reply to: Which model are you?");
        JsonNode.Parse(Emulator.Requests.ShouldHaveSingleItem().Body)!["model"]!.GetValue<string>().ShouldBe("llama3.1:8b");
    }

    [Fact]
    public async Task Streaming_relays_the_upstream_chunks_in_order_with_usage()
    {
        Emulator.Reset();
        var text = new System.Text.StringBuilder();
        ChatTokenUsage? usage = null;

        await foreach (var update in Sdk.GetChatClient("openai/gpt-4o-mini").CompleteChatStreamingAsync(
            [new UserChatMessage("Stream this please")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage ??= update.Usage;
        }

        text.ToString().ShouldBe("Emulated reply to: Stream this please");
        usage.ShouldNotBeNull().OutputTokenCount.ShouldBeGreaterThan(0);
        JsonNode.Parse(Emulator.Requests.ShouldHaveSingleItem().Body)!["stream"]!.GetValue<bool>().ShouldBeTrue();
    }

    [Fact]
    public async Task Speech_returns_the_upstream_audio_bytes()
    {
        Emulator.Reset();

        var audio = (await Sdk.GetAudioClient("openai/tts-1").GenerateSpeechAsync("Hello", GeneratedSpeechVoice.Nova,
            new SpeechGenerationOptions { ResponseFormat = GeneratedSpeechFormat.Mp3 })).Value.ToArray();

        audio.ShouldBe(AudioSamples.For("mp3"));
        JsonNode.Parse(Emulator.Requests.ShouldHaveSingleItem().Body)!["voice"]!.GetValue<string>().ShouldBe("nova");
    }

    [Fact]
    public async Task Speech_bytes_reach_the_client_as_the_upstream_sends_them()
    {
        Emulator.Reset();
        Emulator.HoldStreams = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var expected = AudioSamples.For("wav");
        using var client = Platform.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/audio/speech")
        {
            Content = Json("""{"model":"openai/tts-1","input":"Hello as it comes","voice":"nova","response_format":"wav"}"""),
        };

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("audio/wav");
        await using var body = await response.Content.ReadAsStreamAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var first = new byte[(expected.Length + 3) / 4]; // the emulator's first piece, while it holds the rest
        await body.ReadExactlyAsync(first, timeout.Token);
        Emulator.HoldStreams.TrySetResult();
        using var rest = new MemoryStream();
        await body.CopyToAsync(rest, timeout.Token);

        ((byte[])[.. first, .. rest.ToArray()]).ShouldBe(expected);
    }

    [Fact]
    public async Task Speech_as_server_sent_events_carries_the_upstream_audio_then_its_usage()
    {
        Emulator.Reset();
        using var client = Platform.CreateClient();

        var response = await client.PostAsync("/v1/audio/speech",
            Json("""{"model":"openai/tts-1","input":"Hello in events","voice":"nova","stream_format":"sse"}"""));
        var text = await response.Content.ReadAsStringAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => JsonNode.Parse(e.Split('\n').Single(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..])!)
            .ToList();
        events.SkipLast(1).ShouldAllBe(e => (string)e["type"]! == "speech.audio.delta");
        events.SkipLast(1).SelectMany(e => Convert.FromBase64String((string)e["audio"]!)).ToArray().ShouldBe(AudioSamples.For("mp3"));
        events[^1]["type"]!.GetValue<string>().ShouldBe("speech.audio.done");
        events[^1]["usage"]!["characters"]!.GetValue<int>().ShouldBe("Hello in events".Length);
        events[^1]["usage"]!["input_tokens"]!.GetValue<int>().ShouldBePositive();
    }

    [Fact]
    public async Task Gpt_4o_mini_tts_follows_instructions_and_is_billed_by_the_tokens_OpenAI_counts()
    {
        Emulator.Reset();
        using var client = Platform.CreateClient();
        const string Input = "Hello, billed in tokens";

        var response = await client.PostAsync("/v1/audio/speech",
            Json($$"""{"model":"openai/gpt-4o-mini-tts","input":"{{Input}}","voice":"coral","instructions":"Speak warmly.","stream_format":"sse"}"""));
        var text = await response.Content.ReadAsStringAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        var done = JsonNode.Parse(text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[^1].Split('\n').Single(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..])!;
        var (input, output) = Emulators.OpenAI.OpenAIEmulator.SpeechTokens(Input);
        done["type"]!.GetValue<string>().ShouldBe("speech.audio.done");
        done["usage"]!["input_tokens"]!.GetValue<int>().ShouldBe(input);
        done["usage"]!["output_tokens"]!.GetValue<int>().ShouldBe(output);
        done["usage"]!["cost_usd"]!.GetValue<decimal>().ShouldBe((input * 0.60m / 1_000_000m) + (output * 12m / 1_000_000m)); // the catalog's token prices
        var upstream = JsonNode.Parse(Emulator.Requests.ShouldHaveSingleItem().Body)!;
        upstream["model"]!.GetValue<string>().ShouldBe("gpt-4o-mini-tts");
        upstream["instructions"]!.GetValue<string>().ShouldBe("Speak warmly.");
        upstream["stream_format"]!.GetValue<string>().ShouldBe("sse"); // where OpenAI reports the counts
    }

    [Fact]
    public async Task Images_come_back_as_the_upstreams_PNG()
    {
        Emulator.Reset();

        var image = (await Sdk.GetImageClient("openai/dall-e-3").GenerateImageAsync("a lighthouse at dusk",
            new ImageGenerationOptions { ResponseFormat = GeneratedImageFormat.Bytes, Size = GeneratedImageSize.W1024xH1024 })).Value;

        image.ImageBytes.ToArray()[..8].ShouldBe(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
        Emulator.Count("/v1/images/generations").ShouldBe(1);
    }

    [Fact]
    public async Task Gpt_image_answers_bytes_to_an_sdk_call_that_names_no_response_format_as_openai_does()
    {
        Emulator.Reset();

        // OpenAI's own gpt-image snippet: no response_format, then data[0].b64_json.
        var image = (await Sdk.GetImageClient("openai/gpt-image-1").GenerateImageAsync("a lighthouse at dusk")).Value;

        image.ImageUri.ShouldBeNull();
        image.ImageBytes.ToArray()[..8].ShouldBe(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
        Emulator.Count("/v1/images/generations").ShouldBe(1);
    }

    [Fact]
    public async Task Gpt_images_token_usage_and_account_of_the_images_reach_the_sdk_as_openai_answers_them()
    {
        Emulator.Reset();

#pragma warning disable OPENAI001 // the SDK marks gpt-image's answer fields as evaluation-only
        var images = (await Sdk.GetImageClient("openai/gpt-image-1").GenerateImagesAsync("a lighthouse at dusk", 1,
            new ImageGenerationOptions { Size = GeneratedImageSize.W1536xH1024 })).Value;

        images.Usage.ShouldNotBeNull();
        (images.Usage.InputTokenCount, images.Usage.OutputTokenCount, images.Usage.TotalTokenCount).ShouldBe((50, 272, 322));
        images.Quality.ShouldBe(new GeneratedImageQuality("medium")); // the tier the emulated provider used for "auto"
        images.Size.ShouldBe(GeneratedImageSize.W1536xH1024);
        images.Background.ShouldBe(new GeneratedImageBackground("opaque"));
        images.OutputFileFormat.ShouldBe(GeneratedImageFileFormat.Png);
#pragma warning restore OPENAI001
    }

    [Fact]
    public async Task Gpt_image_output_options_reach_the_upstream_and_its_webp_comes_back_as_webp()
    {
        Emulator.Reset();

#pragma warning disable OPENAI001 // the SDK marks gpt-image's options as evaluation-only
        var image = (await Sdk.GetImageClient("openai/gpt-image-1").GenerateImageAsync("a lighthouse at dusk", new ImageGenerationOptions
        {
            ResponseFormat = GeneratedImageFormat.Bytes,
            OutputFileFormat = GeneratedImageFileFormat.Webp,
            OutputCompressionFactor = 75,
            ModerationLevel = GeneratedImageModerationLevel.Low,
            Quality = GeneratedImageQuality.High, // "hd" on the wire, which gpt-image refuses: the adapter sends "high"
        })).Value;
#pragma warning restore OPENAI001

        image.ImageBytes.ToArray()[8..12].ShouldBe("WEBP"u8.ToArray());
        using var body = JsonDocument.Parse(Emulator.Requests.ShouldHaveSingleItem().Body);
        body.RootElement.GetProperty("output_format").GetString().ShouldBe("webp");
        body.RootElement.GetProperty("output_compression").GetInt32().ShouldBe(75);
        body.RootElement.GetProperty("moderation").GetString().ShouldBe("low");
        body.RootElement.GetProperty("quality").GetString().ShouldBe("high");
    }

    [Fact]
    public async Task Images_generate_carries_gpt_images_output_options_from_its_parameters()
    {
        Emulator.Reset();
        using var http = Platform.CreateClient();

        using var response = await http.PostAsJsonAsync("/v1/images/generate", new
        {
            model = "openai/gpt-image-1",
            contents = new[] { new { text = "a lighthouse at dusk" } },
            parameters = new { output_format = "webp", output_compression = 80, response_format = "b64_json" },
        });

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var image = Convert.FromBase64String((string)(await response.Content.ReadFromJsonAsync<JsonNode>())!["data"]![0]!["b64_json"]!);
        image[8..12].ShouldBe("WEBP"u8.ToArray());
        using var body = JsonDocument.Parse(Emulator.Requests.ShouldHaveSingleItem().Body);
        body.RootElement.GetProperty("output_format").GetString().ShouldBe("webp");
        body.RootElement.GetProperty("output_compression").GetInt32().ShouldBe(80);
    }

    [Fact]
    public async Task Images_generate_with_an_aspect_ratio_gets_dall_e_3s_size_of_that_shape()
    {
        Emulator.Reset();
        using var http = Platform.CreateClient();

        using var response = await http.PostAsJsonAsync("/v1/images/generate", new
        {
            model = "openai/dall-e-3",
            contents = new[] { new { text = "a wide harbour at dawn" } },
            parameters = new { aspect_ratio = "16:9", quality = "hd" },
        });

        // The gateway derives 1024x576 from 16:9; dall-e-3 makes 1792x1024 (OpenAI would refuse 1024x576 with a 400).
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        using var body = JsonDocument.Parse(Emulator.Requests.ShouldHaveSingleItem().Body);
        body.RootElement.GetProperty("size").GetString().ShouldBe("1792x1024");
        body.RootElement.GetProperty("quality").GetString().ShouldBe("hd");
    }

    [Fact]
    public async Task An_upstream_400_reaches_the_client_as_400_with_the_providers_message()
    {
        Emulator.Reset();
        using var http = Platform.CreateClient();

        using var response = await http.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "openai/no-such-model",
            messages = new[] { new { role = "user", content = "hi" } },
        });

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var error = (await response.Content.ReadFromJsonAsync<JsonNode>())!["error"]!;
        ((string)error["message"]!).ShouldContain("does not exist or you do not have access to it");
        ((string)error["details"]!["provider"]!).ShouldBe("openai");
    }

    [Fact]
    public async Task An_upstream_429_is_retried_and_then_answered_429_with_Retry_After()
    {
        Emulator.Reset();
        var prompt = Marked("Rate-limit me");
        Emulator.Fail(FailureMode.RateLimited, retryAfterSeconds: 30, match: prompt); // longer than the adapter waits (MaxRetryAfter 2 s)
        using var http = Platform.CreateClient();

        using var response = await http.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "openai/gpt-4o-mini",
            messages = new[] { new { role = "user", content = prompt } },
        });

        response.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter?.Delta.ShouldBe(TimeSpan.FromSeconds(30));
        ((string)(await response.Content.ReadFromJsonAsync<JsonNode>())!["error"]!["code"]!).ShouldBe("rate_limit_exceeded");
    }

    [Fact]
    public async Task Failover_serves_the_next_candidate_when_the_first_providers_upstream_fails()
    {
        Emulator.Reset();
        var prompt = Marked("Who serves this?");
        Emulator.Fail(FailureMode.ServerError, times: 3, match: prompt); // the first attempt and both retries
        using var http = Platform.CreateClient();

        using var response = await http.PostAsJsonAsync("/v1/chat/completions", new
        {
            models = new[] { "openai/gpt-4o-mini", "local/echo-1" },
            messages = new[] { new { role = "user", content = prompt } },
        });

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var body = (await response.Content.ReadFromJsonAsync<JsonNode>())!;
        ((string)body["model"]!).ShouldBe("local/echo-1");
        ((string)body["provider"]!).ShouldBe("local");
        Emulator.Requests.Count(r => r.Path == "/v1/chat/completions" && r.Body.Contains(prompt, StringComparison.Ordinal)).ShouldBe(3);
    }

    [Fact]
    public async Task Streaming_failover_happens_before_the_first_byte()
    {
        Emulator.Reset();
        var prompt = Marked("Stream from whoever is up");
        Emulator.Fail(FailureMode.ServerError, times: 3, match: prompt);

        var events = await StreamAsync(new
        {
            models = new[] { "openai/gpt-4o-mini", "local/echo-1" },
            stream = true,
            messages = new[] { new { role = "user", content = prompt } },
        });

        events[^1].ShouldBe("[DONE]");
        events.Where(e => e != "[DONE]").Select(e => (string)JsonNode.Parse(e)!["model"]!).Distinct().ShouldBe(["local/echo-1"]);
    }

    [Fact]
    public async Task A_stream_cut_after_content_started_ends_with_an_explicit_error_event()
    {
        Emulator.Reset();
        var prompt = Marked("Cut me short");
        Emulator.Fail(FailureMode.DropMidStream, times: 1, match: prompt);

        var events = await StreamAsync(new
        {
            models = new[] { "openai/gpt-4o-mini", "local/echo-1" }, // too late to fail over once content was sent
            stream = true,
            messages = new[] { new { role = "user", content = prompt } },
        });

        events.ShouldNotContain("[DONE]");
        var chunks = events.Select(e => JsonNode.Parse(e)!).ToList();
        chunks.ShouldContain(c => (string?)c["choices"]![0]!["delta"]!["content"] == "Partial ");
        var error = chunks[^1]["error"].ShouldNotBeNull();
        ((string)error["code"]!).ShouldBe("provider_error");
        chunks.Where(c => c["model"] is not null).ShouldAllBe(c => (string)c["model"]! == "openai/gpt-4o-mini");
    }

    [Fact]
    public async Task The_circuit_opens_after_repeated_failures_shows_degraded_fails_fast_and_recovers()
    {
        Emulator.Reset();
        Emulator.Fail(FailureMode.ServerError);
        using var http = Platform.CreateClient();
        var chat = new { model = "openai/gpt-4o-mini", messages = new[] { new { role = "user", content = "hi" } } };

        // The breaker opens on a failure ratio over a sampling window (PlatformFixture.AdapterTuning: 0.5 of at least 6 calls
        // in 10 s), so the successful OpenAI calls of other tests just before count too: fail until it opens, within a bound.
        var opened = false;
        for (var i = 0; i < 40 && !opened; i++)
        {
            using var failed = await http.PostAsJsonAsync("/v1/chat/completions", chat);
            failed.StatusCode.ShouldBeOneOf(HttpStatusCode.BadGateway, HttpStatusCode.ServiceUnavailable);
            opened = i >= 5 && await Platform.ProviderStatusIsAsync("openai", "degraded", TimeSpan.FromMilliseconds(300));
        }

        (await Platform.ProviderStatusIsAsync("openai", "degraded", TimeSpan.FromSeconds(10))).ShouldBeTrue();
        var calls = Emulator.Requests.Count;
        using (var fast = await http.PostAsJsonAsync("/v1/chat/completions", chat))
        {
            fast.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            ((string)(await fast.Content.ReadFromJsonAsync<JsonNode>())!["error"]!["code"]!).ShouldBe("provider_unavailable");
        }

        Emulator.Requests.Count.ShouldBe(calls); // failed fast: the upstream was not called

        Emulator.Reset(); // the provider recovers; after the break one probe call closes the circuit
        var recovered = await TestInfrastructure.EventuallyAsync(async () =>
        {
            using var probe = await http.PostAsJsonAsync("/v1/chat/completions", chat);
            return probe.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(500));
        recovered.ShouldBeTrue();
        (await Platform.ProviderStatusIsAsync("openai", "available", TimeSpan.FromSeconds(10))).ShouldBeTrue();
    }

    /// <summary>
    /// A prompt no other test sends: a failure queued for it (<c>Fail(…, match: prompt)</c>) is taken by this test's request
    /// only, not by one another test left in flight (a retry, a redelivery, the breaker's probe).
    /// </summary>
    private static string Marked(string prompt) => $"{prompt} [{Guid.NewGuid():N}]";

    /// <summary>POSTs a streaming chat and returns every SSE data payload in order.</summary>
    private async Task<List<string>> StreamAsync(object body)
    {
        using var http = Platform.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(body) };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await Peek(response));
        var text = await response.Content.ReadAsStringAsync();
        return [.. text.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => l["data: ".Length..])];
    }

    private static async Task<string> Peek(HttpResponseMessage response) =>
        response.IsSuccessStatusCode ? "" : await response.Content.ReadAsStringAsync();
}

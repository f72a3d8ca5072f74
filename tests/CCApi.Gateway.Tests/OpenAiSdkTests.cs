using System.ClientModel;
using OpenAI;
using OpenAI.Audio;
using OpenAI.Chat;
using OpenAI.Images;

namespace CCApi.Gateway.Tests;

/// <summary>The OpenAI-compatible routes driven by the official OpenAI .NET SDK, pointed at the gateway's /v1.</summary>
[Collection(GatewayCollection.Name)]
public sealed class OpenAiSdkTests(GatewayFixture gateway)
{
    private OpenAIClient Client() => gateway.Sdk(gateway.ApiKey);

    [Fact]
    public async Task GetModel_retrieves_a_model_whose_id_holds_a_slash()
    {
        OpenAI.Models.OpenAIModel model = await Client().GetOpenAIModelClient().GetModelAsync("local/echo-1");

        model.Id.ShouldBe("local/echo-1");
        model.OwnedBy.ShouldBe("ccapi");
        model.CreatedAt.ToUnixTimeSeconds().ShouldBe(1763683200);
    }

    [Fact]
    public async Task GetModel_surfaces_404_for_an_unknown_model()
    {
        var error = await Should.ThrowAsync<ClientResultException>(() => Client().GetOpenAIModelClient().GetModelAsync("local/nope"));

        error.Status.ShouldBe(404);
    }

    [Fact]
    public async Task Every_answer_carries_an_x_request_id_naming_its_trace_as_the_SDK_reads_it()
    {
        ClientResult<ChatCompletion> completion = await Client().GetChatClient("local/echo-1").CompleteChatAsync([new UserChatMessage("request id")]);
        var error = await Should.ThrowAsync<ClientResultException>(() => Client().GetOpenAIModelClient().GetModelAsync("local/nope"));
        var traced = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        traced.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        using var withTrace = await gateway.Client.SendAsync(traced);
        using var unauthorized = await gateway.Anonymous.GetAsync("/v1/models");

        completion.GetRawResponse().Headers.TryGetValue("x-request-id", out var id).ShouldBeTrue();
        id!.ShouldMatch("^req_[0-9a-f]{32}$");
        error.GetRawResponse()!.Headers.TryGetValue("x-request-id", out var errorId).ShouldBeTrue();
        errorId!.ShouldMatch("^req_[0-9a-f]{32}$");
        errorId.ShouldNotBe(id);
        withTrace.Headers.GetValues("x-request-id").ShouldBe(["req_0af7651916cd43dd8448eb211c80319c"]); // the caller's trace
        unauthorized.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        unauthorized.Headers.GetValues("x-request-id").Single().ShouldMatch("^req_[0-9a-f]{32}$");
    }

    [Fact]
    public async Task CompleteChat_reads_the_completion()
    {
        ChatCompletion completion = await Client().GetChatClient("local/echo-1").CompleteChatAsync(
            [new SystemChatMessage("Be brief."), new UserChatMessage("sdk hello")]);

        completion.Content.ShouldHaveSingleItem().Text.ShouldBe("local says: sdk hello");
        completion.Role.ShouldBe(ChatMessageRole.Assistant);
        completion.FinishReason.ShouldBe(ChatFinishReason.Stop);
        completion.Model.ShouldBe("local/echo-1");
        completion.Id.ShouldStartWith("chatcmpl-");
        completion.Usage.TotalTokenCount.ShouldBe(12);
        completion.CreatedAt.ShouldBeGreaterThan(DateTimeOffset.UnixEpoch);
    }

    [Fact]
    public async Task CompleteChat_reads_tool_calls()
    {
        var options = new ChatCompletionOptions
        {
            Tools = { ChatTool.CreateFunctionTool("get_weather", "Weather for a city", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}}}""")) },
            ToolChoice = ChatToolChoice.CreateAutoChoice(),
        };

        ChatCompletion completion = await Client().GetChatClient("local/echo-1").CompleteChatAsync([new UserChatMessage("[tools] weather?")], options);

        completion.FinishReason.ShouldBe(ChatFinishReason.ToolCalls);
        var call = completion.ToolCalls.ShouldHaveSingleItem();
        call.FunctionName.ShouldBe("get_weather");
        call.FunctionArguments.ToString().ShouldBe("""{"city":"Paris"}""");
    }

    [Fact]
    public async Task CompleteChatStreaming_reads_every_chunk_and_the_usage()
    {
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        var options = new ChatCompletionOptions();

        await foreach (var update in Client().GetChatClient("local/echo-1").CompleteChatStreamingAsync([new UserChatMessage("sdk stream")], options))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        text.ToString().ShouldBe("Hello world");
        finish.ShouldBe(ChatFinishReason.Stop);
        usage.ShouldNotBeNull().TotalTokenCount.ShouldBe(5);
    }

    [Fact]
    public async Task Errors_surface_as_ClientResultException_with_the_status()
    {
        var error = await Should.ThrowAsync<ClientResultException>(() =>
            Client().GetChatClient("nope/model").CompleteChatAsync([new UserChatMessage("x")]));

        error.Status.ShouldBe(400);
        error.Message.ShouldContain("model_not_found");
    }

    [Fact]
    public async Task GenerateImage_reads_bytes_and_uris()
    {
        var images = Client().GetImageClient("local/pixel-1");

        GeneratedImage bytes = await images.GenerateImageAsync("sdk fox", new ImageGenerationOptions
        {
            Size = GeneratedImageSize.W1024xH1024,
            ResponseFormat = GeneratedImageFormat.Bytes,
        });
        GeneratedImage uri = await images.GenerateImageAsync("sdk fox", new ImageGenerationOptions { ResponseFormat = GeneratedImageFormat.Uri });

        bytes.ImageBytes.ToArray().ShouldBe(FakeProviders.Png);
        bytes.RevisedPrompt.ShouldBe("revised: sdk fox");
        uri.ImageUri.ShouldNotBeNull().AbsolutePath.ShouldStartWith("/v1/files/");
    }

    [Fact]
    public async Task GenerateSpeech_reads_the_audio_bytes()
    {
        BinaryData audio = await Client().GetAudioClient("local/espeak-1").GenerateSpeechAsync("sdk speech", GeneratedSpeechVoice.Alloy,
            new SpeechGenerationOptions { ResponseFormat = GeneratedSpeechFormat.Wav, SpeedRatio = 1.2f });

        Encoding.ASCII.GetString(audio.ToArray()).ShouldBe("FAKE-AUDIO-wav");
    }
}

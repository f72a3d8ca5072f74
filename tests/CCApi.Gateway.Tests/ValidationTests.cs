namespace CCApi.Gateway.Tests;

/// <summary>Every validation rule answers 400 invalid_request_error naming the field, in the message and in details.param.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ValidationTests(GatewayFixture gateway)
{
    private const string Chat = "/v1/chat/completions";
    private const string Speech = "/v1/audio/speech";
    private const string Generations = "/v1/images/generations";
    private const string Generate = "/v1/images/generate";

    private const string ChatBase = """{"model":"local/echo-1","messages":[{"role":"user","content":"hi"}]}""";
    private const string SpeechBase = """{"model":"local/espeak-1","input":"hi","voice":"alloy"}""";
    private const string GenerationsBase = """{"model":"local/pixel-1","prompt":"a fox"}""";
    private const string GenerateBase = """{"model":"local/pixel-1","contents":[{"text":"a fox"}]}""";

    /// <summary>Merges <paramref name="patch"/> into <paramref name="baseJson"/>; a JSON null removes the member.</summary>
    private static string With(string baseJson, string patch)
    {
        var body = JsonNode.Parse(baseJson)!.AsObject();
        foreach (var (key, value) in JsonNode.Parse(patch)!.AsObject())
        {
            if (value is null)
            {
                body.Remove(key);
            }
            else
            {
                body[key] = value.DeepClone();
            }
        }

        return body.ToJsonString();
    }

    private static readonly string Png = Convert.ToBase64String(FakeProviders.Png);
    private static readonly string TooBig = Convert.ToBase64String([.. FakeProviders.Png, .. new byte[70_000]]);

    public static TheoryData<string, string, string, string> Cases() => new()
    {
        // route, body, field, code (or "" for any)
        { Chat, "{}", "model", "missing_field" },
        { Chat, With(ChatBase, """{"messages":null}"""), "messages", "missing_field" },
        { Chat, With(ChatBase, """{"messages":[]}"""), "messages", "" },
        { Chat, With(ChatBase, """{"messages":"hi"}"""), "messages", "invalid_json" },
        { Chat, With(ChatBase, """{"model":""}"""), "model", "" },
        { Chat, With(ChatBase, """{"model":"nope/nothing"}"""), "model", "model_not_found" },
        { Chat, With(ChatBase, """{"model":"echo-1"}"""), "model", "model_not_found" },
        { Chat, With(ChatBase, """{"models":["local/echo-1","nope/x"]}"""), "models[1]", "model_not_found" },
        { Chat, With(ChatBase, """{"model":null,"models":[]}"""), "models", "" },
        { Chat, With(ChatBase, """{"model":null,"models":[""]}"""), "models[0]", "" },
        { Chat, With(ChatBase, """{"model":null,"models":[null]}"""), "models[0]", "missing_field" },
        { Chat, With(ChatBase, """{"model":"local/pixel-1"}"""), "model", "" },
        { Chat, With(ChatBase, """{"messages":[{"content":"hi"}]}"""), "messages[0].role", "missing_field" },
        { Chat, With(ChatBase, """{"messages":[{"role":"robot","content":"hi"}]}"""), "messages[0].role", "" },
        { Chat, With(ChatBase, """{"messages":[{"role":"user"}]}"""), "messages[0].content", "missing_field" },
        { Chat, With(ChatBase, """{"messages":[{"role":"user","content":5}]}"""), "messages[0].content", "invalid_json" },
        { Chat, With(ChatBase, """{"messages":[{"role":"user","content":[]}]}"""), "messages[0].content", "" },
        { Chat, With(ChatBase, """{"messages":[{"role":"user","content":[{"type":"text"}]}]}"""), "messages[0].content[0].text", "missing_field" },
        { Chat, With(ChatBase, """{"messages":[{"role":"user","content":[{"text":"x"}]}]}"""), "messages[0].content[0].type", "missing_field" },
        { Chat, With(ChatBase, """{"messages":[{"role":"user","content":["x"]}]}"""), "messages[0].content[0]", "invalid_json" },
        { Chat, With(ChatBase, """{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{}}]}]}"""), "messages[0].content[0].image_url.url", "missing_field" },
        { Chat, With(ChatBase, """{"messages":[{"role":"user","content":"hi"},{"role":"tool","content":"x"}]}"""), "messages[1].tool_call_id", "missing_field" },
        { Chat, With(ChatBase, """{"messages":[{"role":"user","content":"hi","tool_calls":[]}]}"""), "messages[0].tool_calls", "" },
        { Chat, With(ChatBase, """{"messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function"}]}]}"""), "messages[0].tool_calls[0].function", "missing_field" },
        { Chat, With(ChatBase, """{"messages":[{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f"}}]}]}"""), "messages[0].tool_calls[0].id", "missing_field" },
        { Chat, With(ChatBase, """{"messages":[null]}"""), "messages[0]", "invalid_json" },
        { Chat, With(ChatBase, """{"messages":[{"role":7,"content":"x"}]}"""), "messages[0].role", "invalid_json" },
        { Chat, With(ChatBase, """{"temperature":2.5}"""), "temperature", "" },
        { Chat, With(ChatBase, """{"temperature":-0.1}"""), "temperature", "" },
        { Chat, With(ChatBase, """{"temperature":"hot"}"""), "temperature", "invalid_json" },
        { Chat, With(ChatBase, """{"top_p":1.5}"""), "top_p", "" },
        { Chat, With(ChatBase, """{"max_tokens":0}"""), "max_tokens", "" },
        { Chat, With(ChatBase, """{"max_tokens":1.5}"""), "max_tokens", "invalid_json" },
        { Chat, With(ChatBase, """{"max_completion_tokens":0}"""), "max_completion_tokens", "" },
        { Chat, With(ChatBase, """{"max_tokens":4097}"""), "max_tokens", "" },
        { Chat, With(ChatBase, """{"max_completion_tokens":4097}"""), "max_completion_tokens", "" },
        { Chat, With(ChatBase, $$$"""{"messages":[{"role":"user","content":"{{{string.Join(' ', Enumerable.Repeat("word", 40_000))}}}"}]}"""), "messages", "context_length_exceeded" },
        { Chat, With(ChatBase, $$$"""{"max_tokens":4000,"messages":[{"role":"user","content":"{{{string.Join(' ', Enumerable.Repeat("word", 30_000))}}}"}]}"""), "messages", "context_length_exceeded" },
        { Chat, With(ChatBase, """{"n":0}"""), "n", "" },
        { Chat, With(ChatBase, """{"n":129}"""), "n", "" },
        { Chat, With(ChatBase, """{"n":1.5}"""), "n", "invalid_json" },
        { Chat, With(ChatBase, """{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}}]}]}"""), "messages[0].content[0].type", "unsupported_parameter" },
        { Chat, With(ChatBase, """{"logprobs":"yes"}"""), "logprobs", "invalid_json" },
        // Parts and values a model would never read are refused as OpenAI refuses them, not answered and billed as if absent.
        { Chat, With(ChatBase, """{"messages":[{"role":"user","content":[{"type":"video_url","video_url":{"url":"http://x"}}]}]}"""), "messages[0].content[0].type", "" },
        { Chat, With(ChatBase, """{"messages":[{"role":"user","content":[{"type":"refusal","refusal":"no"}]}]}"""), "messages[0].content[0].type", "" },
        { Chat, With(ChatBase, """{"messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]},{"role":"user","content":"hi"}]}"""), "messages[0].content[0].type", "" },
        { Chat, With(ChatBase, """{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"file","file":{"file_id":"f"}}]}]}"""), "messages[1].content[0].type", "" },
        { Chat, With(ChatBase, """{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/a.png","detail":"ultra"}}]}]}"""), "messages[0].content[0].image_url.detail", "" },
        { Chat, With(ChatBase, """{"parallel_tool_calls":"yes"}"""), "parallel_tool_calls", "invalid_json" },
        { Chat, With(ChatBase, """{"service_tier":"ultra"}"""), "service_tier", "" },
        { Chat, With(ChatBase, """{"reasoning_effort":"max"}"""), "reasoning_effort", "" },
        { Chat, With(ChatBase, """{"reasoning_effort":3}"""), "reasoning_effort", "invalid_json" },
        { Chat, With(ChatBase, """{"stream_options":{"include_usage":true}}"""), "stream_options", "" },
        { Chat, With(ChatBase, """{"stream":false,"stream_options":{}}"""), "stream_options", "" },
        { Chat, With(ChatBase, """{"frequency_penalty":2.5}"""), "frequency_penalty", "" },
        { Chat, With(ChatBase, """{"presence_penalty":-3}"""), "presence_penalty", "" },
        { Chat, With(ChatBase, """{"presence_penalty":1e400}"""), "presence_penalty", "" },
        { Chat, With(ChatBase, """{"frequency_penalty":"high"}"""), "frequency_penalty", "invalid_json" },
        { Chat, With(ChatBase, """{"logit_bias":[1]}"""), "logit_bias", "invalid_json" },
        { Chat, With(ChatBase, """{"logit_bias":{"hello":5}}"""), "logit_bias", "" },
        { Chat, With(ChatBase, """{"logit_bias":{"-1":5}}"""), "logit_bias", "" },
        { Chat, With(ChatBase, """{"logit_bias":{"50256":101}}"""), "logit_bias.50256", "" },
        { Chat, With(ChatBase, """{"logit_bias":{"50256":"ban"}}"""), "logit_bias.50256", "invalid_json" },
        { Chat, With(ChatBase, """{"modalities":"audio"}"""), "modalities", "invalid_json" },
        { Chat, With(ChatBase, """{"modalities":["text","video"]}"""), "modalities[1]", "" },
        { Chat, With(ChatBase, """{"modalities":["text","text"]}"""), "modalities[1]", "" },
        { Chat, With(ChatBase, """{"modalities":["text","audio"],"audio":{"voice":"alloy","format":"wav"}}"""), "modalities", "unsupported_parameter" },
        { Chat, With(ChatBase, """{"logprobs":true,"top_logprobs":21}"""), "top_logprobs", "" },
        { Chat, With(ChatBase, """{"logprobs":true,"top_logprobs":-1}"""), "top_logprobs", "" },
        { Chat, With(ChatBase, """{"logprobs":true,"top_logprobs":1.5}"""), "top_logprobs", "invalid_json" },
        { Chat, With(ChatBase, """{"top_logprobs":2}"""), "top_logprobs", "" },
        { Chat, With(ChatBase, """{"logprobs":false,"top_logprobs":2}"""), "top_logprobs", "" },
        { Chat, With(ChatBase, """{"logprobs":true}"""), "logprobs", "unsupported_parameter" },
        { Chat, With(ChatBase, """{"logprobs":true,"top_logprobs":3}"""), "logprobs", "unsupported_parameter" },
        { Chat, With(ChatBase, """{"response_format":{"type":"json_schema","json_schema":{"name":"answer","schema":5}}}"""), "response_format.json_schema.schema", "invalid_json" },
        { Chat, With(ChatBase, """{"response_format":"json"}"""), "response_format", "invalid_json" },
        { Chat, With(ChatBase, """{"response_format":{}}"""), "response_format.type", "missing_field" },
        { Chat, With(ChatBase, """{"response_format":{"type":"yaml"}}"""), "response_format.type", "" },
        { Chat, With(ChatBase, """{"response_format":{"type":"json_schema"}}"""), "response_format.json_schema", "missing_field" },
        { Chat, With(ChatBase, """{"response_format":{"type":"json_schema","json_schema":{"schema":{}}}}"""), "response_format.json_schema.name", "missing_field" },
        { Chat, With(ChatBase, """{"messages":[{"role":"user","content":"hi"},{"role":"tool","tool_call_id":"c1","content":"x"}]}"""), "messages[1].role", "" },
        { Chat, With(ChatBase, """{"messages":[{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c9","content":"x"}]}"""), "messages[1].tool_call_id", "" },
        { Chat, With(ChatBase, """{"messages":[{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"user","content":"hm"},{"role":"tool","tool_call_id":"c1","content":"x"}]}"""), "messages[2].role", "" },
        { Chat, With(ChatBase, """{"stop":5}"""), "stop", "invalid_json" },
        { Chat, With(ChatBase, """{"stop":["a",1]}"""), "stop[1]", "invalid_json" },
        { Chat, With(ChatBase, """{"stop":["a","b","c","d","e"]}"""), "stop", "" },
        { Chat, With(ChatBase, """{"metadata":"x"}"""), "metadata", "invalid_json" },
        { Chat, With(ChatBase, """{"stream":"yes"}"""), "stream", "invalid_json" },
        { Chat, With(ChatBase, """{"stream_options":{"include_usage":"yes"}}"""), "stream_options.include_usage", "invalid_json" },
        { Chat, With(ChatBase, """{"tools":[{"type":"function"}]}"""), "tools[0].function", "missing_field" },
        { Chat, With(ChatBase, """{"tools":[{"function":{"name":"f"}}]}"""), "tools[0].type", "missing_field" },
        { Chat, With(ChatBase, """{"tools":[{"type":"retrieval","function":{"name":"f"}}]}"""), "tools[0].type", "" },
        { Chat, With(ChatBase, """{"tools":[{"type":"function","function":{"name":"bad name!"}}]}"""), "tools[0].function.name", "" },
        { Chat, With(ChatBase, """{"tools":[{"type":"function","function":{"name":"f"}},{"type":"function","function":{"name":"f"}}]}"""), "tools[1].function.name", "" },
        { Chat, With(ChatBase, """{"tools":[{"type":"function","function":{"name":"f","parameters":"x"}}]}"""), "tools[0].function.parameters", "invalid_json" },
        { Chat, With(ChatBase, """{"tools":{"type":"function"}}"""), "tools", "invalid_json" },
        { Chat, With(ChatBase, """{"tool_choice":"maybe"}"""), "tool_choice", "" },
        { Chat, With(ChatBase, """{"tool_choice":"required"}"""), "tool_choice", "" },
        { Chat, With(ChatBase, """{"tool_choice":5}"""), "tool_choice", "invalid_json" },
        { Chat, With(ChatBase, """{"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"g"}}}"""), "tool_choice.function.name", "" },
        { Chat, With(ChatBase, """{"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function"}}"""), "tool_choice.function", "missing_field" },
        { Chat, With(ChatBase, """{"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"tool","function":{"name":"f"}}}"""), "tool_choice.type", "" },

        { Speech, "{}", "model", "missing_field" },
        { Speech, With(SpeechBase, """{"model":"local/echo-1"}"""), "model", "" },
        { Speech, With(SpeechBase, """{"model":"nope/voice"}"""), "model", "model_not_found" },
        { Speech, With(SpeechBase, """{"input":null}"""), "input", "missing_field" },
        { Speech, With(SpeechBase, """{"stream_format":"sse","response_format":"url"}"""), "stream_format", "" },
        { Speech, With(SpeechBase, """{"stream_format":"sse","output_format":"wav"}"""), "stream_format", "" },
        { Speech, With(SpeechBase, """{"stream_format":5}"""), "stream_format", "invalid_json" },
        { Speech, With(SpeechBase, """{"stream_format":"chunks"}"""), "stream_format", "" },
        { Speech, With(SpeechBase, """{"input":""}"""), "input", "" },
        { Speech, With(SpeechBase, $$$$"""{"input":"{{{{new string('a', 4097)}}}}"}"""), "input", "" },
        { Speech, With(SpeechBase, """{"input":5}"""), "input", "invalid_json" },
        { Speech, With(SpeechBase, """{"voice":null}"""), "voice", "missing_field" },
        { Speech, With(SpeechBase, """{"voice":"darth"}"""), "voice", "" },
        { Speech, With(SpeechBase, """{"speed":0.1}"""), "speed", "" },
        { Speech, With(SpeechBase, """{"speed":4.5}"""), "speed", "" },
        { Speech, With(SpeechBase, """{"output_format":"aiff"}"""), "output_format", "" },
        { Speech, With(SpeechBase, """{"output_format":"mp3","response_format":"wav"}"""), "response_format", "" },
        { Speech, With(SpeechBase, """{"response_format":"xml"}"""), "response_format", "" },
        { Speech, With(SpeechBase, """{"response_format":"aac"}"""), "response_format", "unsupported_parameter" }, // espeak-1 makes no aac

        { Generations, "{}", "model", "missing_field" },
        { Generations, With(GenerationsBase, """{"model":"local/espeak-1"}"""), "model", "" },
        { Generations, With(GenerationsBase, """{"model":"nope/img"}"""), "model", "model_not_found" },
        { Generations, With(GenerationsBase, """{"model":"imaginepro/nano-banana"}"""), "model", "" },
        { Generations, With(GenerationsBase, """{"webhook_url":"https://hooks.example.com/h"}"""), "webhook_url", "unsupported_parameter" },
        { Generations, With(GenerationsBase, """{"contents":[{"text":"x"}]}"""), "contents", "unsupported_parameter" },
        { Generations, With(GenerationsBase, """{"prompt":null}"""), "prompt", "missing_field" },
        { Generations, With(GenerationsBase, """{"prompt":"  "}"""), "prompt", "" },
        { Generations, With(GenerationsBase, """{"n":0}"""), "n", "" },
        { Generations, With(GenerationsBase, """{"n":11}"""), "n", "" },
        { Generations, With(GenerationsBase, """{"n":"2"}"""), "n", "invalid_json" },
        { Generations, With(GenerationsBase, """{"size":"big"}"""), "size", "" },
        { Generations, With(GenerationsBase, """{"size":"10x10"}"""), "size", "" },
        { Generations, With(GenerationsBase, """{"size":"4096x4096"}"""), "size", "" },
        { Generations, With(GenerationsBase, """{"size":"-5x64"}"""), "size", "" },
        { Generations, With(GenerationsBase, """{"response_format":"png"}"""), "response_format", "" },
        { Generations, With(GenerationsBase, """{"quality":"ultra"}"""), "quality", "" },
        { Generations, With(GenerationsBase, """{"style":"noir"}"""), "style", "" },
        { Generations, With(GenerationsBase, """{"stream":true,"response_format":"url"}"""), "response_format", "" },
        { Generations, With(GenerationsBase, """{"stream":"yes"}"""), "stream", "invalid_json" },
        { Generations, With(GenerationsBase, """{"output_format":"webp"}"""), "output_format", "unsupported_parameter" },
        { Generations, With(GenerationsBase, """{"output_format":"jpeg","output_compression":50}"""), "output_format", "unsupported_parameter" },
        { Generations, With(GenerationsBase, """{"output_format":"bmp"}"""), "output_format", "" },
        { Generations, With(GenerationsBase, """{"output_compression":50}"""), "output_compression", "unsupported_parameter" },
        { Generations, With(GenerationsBase, """{"output_compression":101}"""), "output_compression", "" },
        { Generations, With(GenerationsBase, """{"background":"transparent"}"""), "background", "unsupported_parameter" },
        { Generations, With(GenerationsBase, """{"background":"none"}"""), "background", "" },
        { Generations, With(GenerationsBase, """{"moderation":"low"}"""), "moderation", "unsupported_parameter" },
        { Generations, With(GenerationsBase, """{"partial_images":2}"""), "partial_images", "unsupported_parameter" },
        { Generations, With(GenerationsBase, """{"partial_images":4}"""), "partial_images", "" },

        { Generate, "{}", "model", "missing_field" },
        { Generate, With(GenerateBase, """{"model":"local/echo-1"}"""), "model", "" },
        { Generate, With(GenerateBase, """{"model":"nope/img"}"""), "model", "model_not_found" },
        { Generate, With(GenerateBase, """{"contents":null}"""), "contents", "missing_field" },
        { Generate, With(GenerateBase, """{"contents":[]}"""), "contents", "" },
        { Generate, With(GenerateBase, """{"contents":"a fox"}"""), "contents", "invalid_json" },
        { Generate, With(GenerateBase, """{"contents":[{}]}"""), "contents[0]", "missing_field" },
        { Generate, With(GenerateBase, """{"contents":[{"text":""}]}"""), "contents[0].text", "missing_field" },
        { Generate, With(GenerateBase, """{"contents":[{"text":"a fox"},{"text":" \n "}]}"""), "contents[1].text", "missing_field" },
        { Generate, With(GenerateBase, """{"contents":[null]}"""), "contents[0]", "invalid_json" },
        { Generate, With(GenerateBase, """{"contents":[{"text":5}]}"""), "contents[0].text", "invalid_json" },
        { Generate, With(GenerateBase, """{"contents":[{"image":{}}]}"""), "contents[0].image", "missing_field" },
        { Generate, With(GenerateBase, $$$$"""{"contents":[{"image":{"url":"https://example.com/a.png","data":"{{{{Png}}}}"}}]}"""), "contents[0].image", "" },
        { Generate, With(GenerateBase, """{"contents":[{"image":{"url":"ftp://example.com/a.png"}}]}"""), "contents[0].image.url", "" },
        { Generate, With(GenerateBase, """{"contents":[{"image":{"url":"not a url"}}]}"""), "contents[0].image.url", "" },
        { Generate, With(GenerateBase, """{"contents":[{"text":"x"},{"image":{"data":"!!!not base64!!!"}}]}"""), "contents[1].image.data", "" },
        { Generate, With(GenerateBase, """{"contents":[{"image":{"data":"aGVsbG8gd29ybGQ="}}]}"""), "contents[0].image.data", "" },
        { Generate, With(GenerateBase, $$$$"""{"contents":[{"image":{"data":"{{{{TooBig}}}}"}}]}"""), "contents[0].image.data", "" },
        { Generate, With(GenerateBase, $$$$"""{"contents":[{"image":{"data":"data:text/html;base64,{{{{Png}}}}"}}]}"""), "contents[0].image.data", "" },
        { Generate, With(GenerateBase, $$$$"""{"contents":[{"image":{"data":"data:image/png,{{{{Png}}}}"}}]}"""), "contents[0].image.data", "" },
        { Generate, With(GenerateBase, $$$$"""{"contents":[{"image":{"data":"{{{{Png}}}}","mime_type":"text/html"}}]}"""), "contents[0].image.mime_type", "" },
        { Generate, With(GenerateBase, $$$$"""{"contents":[{"text":"x","mask":{"data":"{{{{Png}}}}"}}]}"""), "contents[0].mask", "" },
        { Generate, With(GenerateBase, $$$$"""{"contents":[{"image":{"data":"{{{{Png}}}}"},"mask":{"data":"%%%"}}]}"""), "contents[0].mask.data", "" },
        { Generate, With(GenerateBase, """{"parameters":"x"}"""), "parameters", "invalid_json" },
        { Generate, With(GenerateBase, """{"parameters":{"num_images":0}}"""), "parameters.num_images", "" },
        { Generate, With(GenerateBase, """{"parameters":{"num_images":11}}"""), "parameters.num_images", "" },
        { Generate, With(GenerateBase, """{"model":"imaginepro/nano-banana","parameters":{"num_images":5}}"""), "parameters.num_images", "" },
        { Generate, With(GenerateBase, """{"parameters":{"width":10}}"""), "parameters.width", "" },
        { Generate, With(GenerateBase, """{"parameters":{"height":5000}}"""), "parameters.height", "" },
        { Generate, With(GenerateBase, """{"parameters":{"width":"wide"}}"""), "parameters.width", "invalid_json" },
        { Generate, With(GenerateBase, """{"parameters":{"aspect_ratio":"7:3"}}"""), "parameters.aspect_ratio", "" },
        { Generate, With(GenerateBase, """{"parameters":{"aspect_ratio":"21:9","height":2048}}"""), "parameters.aspect_ratio", "" },
        { Generate, With(GenerateBase, """{"parameters":{"quality":"ultra"}}"""), "parameters.quality", "" },
        { Generate, With(GenerateBase, """{"parameters":{"steps":0}}"""), "parameters.steps", "" },
        { Generate, With(GenerateBase, """{"parameters":{"steps":151}}"""), "parameters.steps", "" },
        { Generate, With(GenerateBase, """{"parameters":{"guidance_scale":51}}"""), "parameters.guidance_scale", "" },
        { Generate, With(GenerateBase, """{"parameters":{"strength":1.5}}"""), "parameters.strength", "" },
        { Generate, With(GenerateBase, """{"parameters":{"response_format":"png"}}"""), "parameters.response_format", "" },
        { Generate, With(GenerateBase, """{"parameters":{"seed":"lucky"}}"""), "parameters.seed", "invalid_json" },
        { Generate, With(GenerateBase, """{"webhook_url":"ftp://example.com/hook"}"""), "webhook_url", "" },
        { Generate, With(GenerateBase, """{"webhook_url":"/relative/hook"}"""), "webhook_url", "" },
        { Generate, With(GenerateBase, """{"webhook_url":"https://user:secret@hooks.example.com/hook"}"""), "webhook_url", "" },
        { Generate, With(GenerateBase, """{"webhook_url":"http://[::1]:0/hook"}"""), "webhook_url", "" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Answers_400_naming_the_field(string route, string body, string field, string code)
    {
        var response = await gateway.PostJsonAsync(route, body);

        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, text);
        var error = JsonNode.Parse(text)!["error"]!;
        error["type"]!.GetValue<string>().ShouldBe("invalid_request_error");
        error["details"]!["param"]!.GetValue<string>().ShouldBe(field);
        error["message"]!.GetValue<string>().ShouldContain(field);
        if (code.Length > 0)
        {
            error["code"]!.GetValue<string>().ShouldBe(code);
        }
    }
}

public sealed class TruncationTests
{
    [Fact]
    public void A_value_quoted_in_an_error_is_cut_before_a_surrogate_pair_never_inside_it()
    {
        var value = new string('a', 63) + "😀😀"; // the pair's high half is the 64th character

        var cut = Api.Validation.Truncate(value);

        cut.ShouldBe(new string('a', 63) + "…");
        Api.Validation.Truncate(new string('a', 62) + "😀😀").ShouldBe(new string('a', 62) + "😀…");
        Api.Validation.Truncate("short").ShouldBe("short");
    }
}

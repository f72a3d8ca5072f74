using System.Net.Http.Headers;

namespace CCApi.Gateway.Tests;

/// <summary>Nothing a client sends may produce a 500: every route, every field, every wrong type, every broken body.</summary>
[Collection(GatewayCollection.Name)]
public sealed class GarbageInputTests(GatewayFixture gateway)
{
    public static readonly string[] PostRoutes =
    [
        "/v1/chat/completions", "/v1/audio/speech", "/v1/images/generations", "/v1/images/generate",
        "/chat/completions", "/audio/speech", "/images/generations", "/images/generate",
    ];

    /// <summary>A valid body per route and the path of every field in it (shared with <see cref="HostileTextTests"/>).</summary>
    internal static readonly Dictionary<string, (string Base, string[] Paths)> Bodies = new()
    {
        ["/v1/chat/completions"] = (
            """
            {"model":"local/echo-1","models":["local/echo-1"],"messages":[{"role":"user","content":"hi","name":"n"}],
             "tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{}}}],"tool_choice":"auto",
             "stop":"x","temperature":1,"top_p":1,"max_tokens":5,"max_completion_tokens":5,"n":1,"seed":1,"user":"u","metadata":{},
             "stream":true,"stream_options":{"include_usage":true}}
            """,
            ["model", "models", "models.0", "messages", "messages.0", "messages.0.role", "messages.0.content", "messages.0.name",
             "messages.0.tool_call_id", "messages.0.tool_calls", "tools", "tools.0", "tools.0.type", "tools.0.function",
             "tools.0.function.name", "tools.0.function.description", "tools.0.function.parameters", "tool_choice", "stop",
             "temperature", "top_p", "max_tokens", "max_completion_tokens", "n", "seed", "user", "metadata", "stream",
             "stream_options", "stream_options.include_usage", "logit_bias"]),
        ["/v1/audio/speech"] = (
            """{"model":"local/espeak-1","input":"hi","voice":"alloy","speed":1,"response_format":"mp3"}""",
            ["model", "input", "voice", "speed", "response_format", "output_format", "instructions"]),
        ["/v1/images/generations"] = (
            """{"model":"local/pixel-1","prompt":"p","n":1,"size":"64x64","response_format":"url","quality":"hd","style":"vivid","user":"u"}""",
            ["model", "prompt", "n", "size", "response_format", "quality", "style", "user"]),
        ["/v1/images/generate"] = (
            """
            {"model":"local/pixel-1","contents":[{"text":"t","image":{"url":"https://example.com/a.png","mime_type":"image/png"}}],
             "parameters":{"num_images":1,"width":64,"height":64,"aspect_ratio":"1:1","quality":"hd","seed":1,"steps":1,
                           "guidance_scale":1,"negative_prompt":"n","strength":0.5,"response_format":"url"},
             "webhook_url":"https://example.com/h"}
            """,
            ["model", "contents", "contents.0", "contents.0.text", "contents.0.image", "contents.0.image.url", "contents.0.image.data",
             "contents.0.image.mime_type", "contents.0.mask", "parameters", "parameters.num_images", "parameters.width",
             "parameters.height", "parameters.aspect_ratio", "parameters.quality", "parameters.seed", "parameters.steps",
             "parameters.guidance_scale", "parameters.negative_prompt", "parameters.strength", "parameters.response_format", "parameters.output_format",
             "parameters.output_compression", "parameters.background", "parameters.moderation", "webhook_url"]),
    };

    private static readonly string[] WrongValues =
    [
        "null", "true", "false", "0", "-1", "1.5", "1e300", "-9223372036854775809", "\"\"", "\"x\"", "\"\\u0000\"",
        "[]", "{}", "[null]", "[[]]", "{\"a\":1}", "[{\"type\":\"x\"}]", "\"data:image/png;base64,\"",
    ];

    private static readonly byte[][] BrokenBodies =
    [
        [],
        "{"u8.ToArray(),
        "}"u8.ToArray(),
        "[]"u8.ToArray(),
        "null"u8.ToArray(),
        "\"text\""u8.ToArray(),
        "123"u8.ToArray(),
        "{\"a\":}"u8.ToArray(),
        "{}{}"u8.ToArray(),
        "{} trailing"u8.ToArray(),
        "{\"model\":\"local/echo-1\",}"u8.ToArray(),
        "{'model':'x'}"u8.ToArray(),
        "{\"model\":\"\\ud800\"}"u8.ToArray(),
        [0x7B, 0x22, 0x6D, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D],
        [0xEF, 0xBB, 0xBF, 0x7B, 0x7D],
        Encoding.UTF8.GetBytes("{\"model\":" + new string('[', 500) + new string(']', 500) + "}"),
        Encoding.UTF8.GetBytes("{\"messages\":[" + string.Join(",", Enumerable.Repeat("{\"role\":\"user\",\"content\":{\"a\":[1,2,{\"b\":null}]}}", 50)) + "]}"),
        Encoding.UTF8.GetBytes("{\"n\":1e999,\"max_tokens\":99999999999999999999}"),
        Encoding.UTF8.GetBytes("{\"model\":\"local/echo-1\",\"model\":5}"),
    ];

    internal static JsonNode Set(string baseJson, string path, string valueJson)
    {
        var root = JsonNode.Parse(baseJson)!;
        var parts = path.Split('.');
        var node = root;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            node = int.TryParse(parts[i], out var index) ? node[index]! : node[parts[i]]!;
        }

        var value = JsonNode.Parse(valueJson);
        if (int.TryParse(parts[^1], out var last))
        {
            node.AsArray()[last] = value;
        }
        else
        {
            node[parts[^1]] = value;
        }

        return root;
    }

    /// <summary>Null when the answer is a success or a 4xx with a CCAPI error object; otherwise what is wrong.</summary>
    internal static async Task<string?> ProblemAsync(HttpResponseMessage response, string what)
    {
        var status = (int)response.StatusCode;
        if (status >= 500)
        {
            return $"{what} → {status}: {await response.Content.ReadAsStringAsync()}";
        }

        if (status >= 400)
        {
            var text = await response.Content.ReadAsStringAsync();
            try
            {
                var error = JsonNode.Parse(text)!["error"]!;
                if (error["type"]!.GetValue<string>() != "invalid_request_error" || string.IsNullOrEmpty(error["message"]!.GetValue<string>()))
                {
                    return $"{what} → {status} with an unexpected error object: {text}";
                }
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or NullReferenceException or InvalidOperationException)
            {
                return $"{what} → {status} without a CCAPI error body: {text}";
            }
        }

        return null;
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Broken_bodies_answer_4xx_with_a_CCAPI_error_never_500(string route)
    {
        var problems = new List<string>();
        foreach (var body in BrokenBodies)
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            var response = await gateway.Client.PostAsync(route, content);
            if ((int)response.StatusCode is < 400 or >= 500)
            {
                problems.Add($"{Convert.ToHexString(body.Take(40).ToArray())} → {(int)response.StatusCode}");
            }
            else if (await ProblemAsync(response, Encoding.UTF8.GetString(body.Take(40).ToArray())) is { } problem)
            {
                problems.Add(problem);
            }
        }

        problems.ShouldBeEmpty();
    }

    public static TheoryData<string> Routes() => new(PostRoutes);

    public static TheoryData<string> FuzzedRoutes() => new(Bodies.Keys);

    [Theory]
    [MemberData(nameof(FuzzedRoutes))]
    public async Task Every_field_with_every_wrong_type_never_answers_500(string route)
    {
        var (baseJson, paths) = Bodies[route];
        (await gateway.PostJsonAsync(route, baseJson)).StatusCode.ShouldBe(HttpStatusCode.OK, "the unfuzzed body must be valid");
        var problems = new List<string>();
        var outcomes = new Dictionary<int, int>();
        foreach (var path in paths)
        {
            foreach (var value in WrongValues)
            {
                var body = Set(baseJson, path, value);
                var response = await gateway.PostJsonAsync(route, body);
                outcomes[(int)response.StatusCode] = outcomes.GetValueOrDefault((int)response.StatusCode) + 1;
                if (await ProblemAsync(response, $"{path} = {value}") is { } problem)
                {
                    problems.Add(problem);
                }
            }
        }

        problems.ShouldBeEmpty();
        outcomes.Values.Sum().ShouldBe(paths.Length * WrongValues.Length);
        outcomes.GetValueOrDefault(400).ShouldBeGreaterThan(paths.Length, "most wrong values are rejected");
        outcomes.GetValueOrDefault(200).ShouldBeGreaterThan(0, "some values (null, strings) are acceptable");
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("application/xml")]
    [InlineData("application/json; charset=utf-16le")]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData("application/json; charset=bogus")]
    public async Task Non_JSON_content_types_answer_415(string contentType)
    {
        foreach (var route in PostRoutes)
        {
            using var content = new StringContent("""{"model":"local/echo-1"}""");
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);

            var response = await gateway.Client.PostAsync(route, content);

            response.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType, route);
            var error = (await GatewayFixture.ReadJsonAsync(response))["error"]!;
            error["type"]!.GetValue<string>().ShouldBe("invalid_request_error");
            error["code"]!.GetValue<string>().ShouldBe("unsupported_media_type", route); // one code for one condition, whoever answers
        }
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json; charset=UTF-8")]
    [InlineData("application/json;charset=utf8")]
    public async Task A_JSON_body_declared_UTF_8_is_read(string contentType)
    {
        using var content = new ByteArrayContent("""{"model":"local/echo-1","messages":[{"role":"user","content":"x"}]}"""u8.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        var response = await gateway.Client.PostAsync("/v1/chat/completions", content);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_body_without_content_type_is_read_as_JSON()
    {
        using var content = new ByteArrayContent("""{"model":"local/echo-1","messages":[{"role":"user","content":"x"}]}"""u8.ToArray());

        var response = await gateway.Client.PostAsync("/v1/chat/completions", content);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_body_that_starts_with_a_UTF8_byte_order_mark_is_read_as_JSON()
    {
        // What .NET's StreamWriter(Encoding.UTF8) and some editors write first.
        byte[] body = [0xEF, 0xBB, 0xBF, .. """{"model":"local/echo-1","messages":[{"role":"user","content":"bom"}]}"""u8];
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var response = await gateway.Client.PostAsync("/v1/chat/completions", content);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await GatewayFixture.ReadJsonAsync(response))["choices"]![0]!["message"]!["content"]!.GetValue<string>().ShouldBe("local says: bom");
    }

    [Theory]
    [InlineData("/v1/chat/completions", "gzip")]
    [InlineData("/v1/audio/speech", "br")]
    [InlineData("/v1/images/generate", "deflate")]
    public async Task A_compressed_body_is_415_naming_the_encoding(string path, string encoding)
    {
        using var content = new StringContent(Bodies[path].Base, Encoding.UTF8, "application/json");
        content.Headers.ContentEncoding.Add(encoding);

        var response = await gateway.Client.PostAsync(path, content);

        var error = await GatewayFixture.ShouldBeErrorAsync(response, HttpStatusCode.UnsupportedMediaType, "invalid_request_error", "unsupported_media_type");
        error["message"]!.GetValue<string>().ShouldContain(encoding);
    }

    [Fact]
    public async Task An_identity_content_encoding_is_read_as_usual()
    {
        using var content = new StringContent("""{"model":"local/echo-1","messages":[{"role":"user","content":"x"}]}""", Encoding.UTF8, "application/json");
        content.Headers.ContentEncoding.Add("identity");

        (await gateway.Client.PostAsync("/v1/chat/completions", content)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_field_OpenAIs_image_route_does_not_know_is_ignored_as_before_but_one_of_CCAPIs_own_route_is_named()
    {
        var future = Set(Bodies["/v1/images/generations"].Base, "some_future_option", "true");
        var hook = Set(Bodies["/v1/images/generations"].Base, "webhook_url", "\"https://hooks.example.com/h\"");

        var ignored = await gateway.PostJsonAsync("/v1/images/generations", future);
        var named = await gateway.PostJsonAsync("/v1/images/generations", hook);

        ignored.StatusCode.ShouldBe(HttpStatusCode.OK);
        var error = await GatewayFixture.ShouldBeErrorAsync(named, HttpStatusCode.BadRequest, "invalid_request_error", "unsupported_parameter");
        error["message"]!.GetValue<string>().ShouldContain("/v1/images/generate");
    }

    [Fact]
    public async Task A_body_over_the_limit_answers_413()
    {
        var huge = "{\"model\":\"local/echo-1\",\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('a', 1_100_000) + "\"}]}";

        foreach (var route in PostRoutes)
        {
            var response = await gateway.PostJsonAsync(route, huge);

            response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge, route);
            (await GatewayFixture.ReadJsonAsync(response))["error"]!["code"]!.GetValue<string>().ShouldBe("payload_too_large");
        }
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_answers_413()
    {
        var huge = Encoding.UTF8.GetBytes("{\"prompt\":\"" + new string('a', 1_100_000) + "\"}");
        using var content = new StreamContent(new MemoryStream(huge));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var response = await gateway.Client.PostAsync("/v1/images/generations", content);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
    }

    [Theory]
    [InlineData("/v1/images/jobs/img_")]
    [InlineData("/v1/images/jobs/' OR 1=1 --")]
    [InlineData("/v1/images/jobs/..%2F..%2Fetc%2Fpasswd")]
    [InlineData("/v1/images/jobs/img_00000000000000000000000000000000000000000000")]
    [InlineData("/v1/files/..%2F..%2Fsecret")]
    [InlineData("/v1/files/x.png?expires=99999999999999999999999&signature=zz")]
    [InlineData("/v1/files/abc?expires=-1&signature=")]
    [InlineData("/v1/files/0123456789abcdef0123456789abcdef?expires=9999999999999&signature=x")]
    [InlineData("/v1/files/0123456789abcdef0123456789abcdef?expires=%2B5&signature=x")]
    [InlineData("/v1/providers/%E2%9C%93%20%2F")]
    [InlineData("/v1/models?limit=%FF%FE&provider[]=x")]
    [InlineData("/v1/nothing-here")]
    public async Task Odd_GET_requests_answer_4xx_with_a_CCAPI_error(string path)
    {
        var response = await gateway.Client.GetAsync(path);

        ((int)response.StatusCode).ShouldBeInRange(400, 499, path);
        (await ProblemAsync(response, path)).ShouldBeNull();
    }

    [Theory]
    [InlineData("PUT", "/v1/chat/completions")]
    [InlineData("DELETE", "/v1/images/jobs/img_00000000000000000000000000000000")]
    [InlineData("GET", "/v1/chat/completions")]
    [InlineData("POST", "/v1/models")]
    public async Task Wrong_methods_answer_405_with_a_CCAPI_error(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };

        var response = await gateway.Client.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        (await GatewayFixture.ReadJsonAsync(response))["error"]!["code"]!.GetValue<string>().ShouldBe("method_not_allowed");
    }
}

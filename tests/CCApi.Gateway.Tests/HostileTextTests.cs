using System.Net.Http.Headers;

namespace CCApi.Gateway.Tests;

/// <summary>
/// Text that cannot become a .NET string — a lone UTF-16 surrogate (<c>"\ud800"</c>) or bytes that are not UTF-8 — in
/// any field of any route answers 400 invalid_json naming that field (it answered 500 in the chat validator, issue 11);
/// control characters, deep nesting, numbers out of range, duplicate keys and odd content types answer a 4xx with the
/// CCAPI error object (or a success), never a 500.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class HostileTextTests(GatewayFixture gateway)
{
    private const string Marker = "hostilemarker";

    private const string AdminRoute = "/admin/v1/keys";

    /// <summary>JSON escapes that decode to no valid UTF-16 string.</summary>
    private static readonly string[] LoneSurrogates =
        ["\"\\ud800\"", "\"\\udfff\"", "\"a\\ud83d\"", "\"\\ude00b\"", "\"\\udc00\\ud800\"", "\"\\ud800\\u0041\"", "\"x\\uDBFF\""];

    /// <summary>
    /// Raw bytes inside a string that are not UTF-8: invalid lead bytes, a lone continuation byte, an overlong NUL, a
    /// UTF-8-encoded surrogate (CESU-8), a truncated sequence, a code point above U+10FFFF.
    /// </summary>
    private static readonly byte[][] NotUtf8 =
        [[0xFF, 0xFE], [0x80], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80], [0x61, 0xC3]];

    /// <summary>Valid JSON strings full of control and special characters: a 4xx or a success, never a 500.</summary>
    private static readonly string[] ControlCharacters =
        ["\"\\u0000\"", "\"a\\u0001\\u001f\\u007f\"", "\"\\u2028\\u2029\"", "\"\\ufeff\"", "\"\\ufffe\\uffff\"", "\"\\r\\n\\t\\b\\f\"",
         "\"\\ud83d\\ude00\"", "\"\\u0085\\u200b\\u202e\""];

    private static readonly string[] OutOfRange =
        ["1e400", "-1e400", "1e-400", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
         "123456789012345678901234567890", "-0", "1.00000000000000000000000001", "2147483648", "-2147483649", "4.9e-324"];

    private static readonly Dictionary<string, (string Base, string[] Paths)> AdminBody = new()
    {
        [AdminRoute] = ("""{"name":"hostile","models":["local/*"],"limits":{"rpm":10}}""", ["name", "models", "models.0", "limits", "limits.rpm", "extra"]),
    };

    private static IEnumerable<string> AllRoutes => GarbageInputTests.Bodies.Keys.Concat(AdminBody.Keys);

    public static TheoryData<string> Routes() => new(AllRoutes);

    private static (string Base, string[] Paths) BodyOf(string route) =>
        AdminBody.TryGetValue(route, out var admin) ? admin : GarbageInputTests.Bodies[route];

    private HttpClient ClientFor(string route) => route == AdminRoute ? gateway.Admin : gateway.Client;

    /// <summary>"messages.0.content" → "messages[0].content", as the error names it.</summary>
    private static string FieldName(string path)
    {
        var field = new StringBuilder();
        foreach (var part in path.Split('.'))
        {
            if (int.TryParse(part, out var index))
            {
                field.Append('[').Append(index).Append(']');
            }
            else
            {
                field.Append(field.Length > 0 ? "." : "").Append(part);
            }
        }

        return field.ToString();
    }

    /// <summary>The route's valid body with <paramref name="path"/> replaced by <paramref name="rawValue"/>, byte for byte.</summary>
    private static byte[] BodyWith(string route, string path, byte[] rawValue)
    {
        var json = GarbageInputTests.Set(BodyOf(route).Base, path, $"\"{Marker}\"").ToJsonString();
        var cut = json.IndexOf($"\"{Marker}\"", StringComparison.Ordinal);
        return [.. Encoding.UTF8.GetBytes(json[..cut]), .. rawValue, .. Encoding.UTF8.GetBytes(json[(cut + Marker.Length + 2)..])];
    }

    private async Task<HttpResponseMessage> PostAsync(string route, byte[] body, string contentType = "application/json")
    {
        using var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return await ClientFor(route).PostAsync(route, content);
    }

    /// <summary>Null when the answer is 400 invalid_json naming <paramref name="field"/>; otherwise what is wrong.</summary>
    private static async Task<string?> NotNamingAsync(HttpResponseMessage response, string field, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.BadRequest)
        {
            return $"{what} → {(int)response.StatusCode}: {text}";
        }

        var error = JsonNode.Parse(text)?["error"];
        var code = error?["code"]?.GetValue<string>();
        var param = error?["details"]?["param"]?.GetValue<string>();
        return code == "invalid_json" && param == field ? null : $"{what} → 400 {code} naming '{param}', not '{field}': {text}";
    }

    /// <summary>Posts the route's valid body with each field in turn set to each raw value; what <paramref name="judge"/> finds wrong.</summary>
    private async Task<List<string>> EveryFieldAsync(
        string route, IEnumerable<(string Label, byte[] Raw)> values, Func<HttpResponseMessage, string, string, Task<string?>> judge)
    {
        var problems = new List<string>();
        foreach (var path in BodyOf(route).Paths)
        {
            foreach (var (label, raw) in values)
            {
                var response = await PostAsync(route, BodyWith(route, path, raw));
                if (await judge(response, path, $"{path} = {label}") is { } problem)
                {
                    problems.Add(problem);
                }
            }
        }

        return problems;
    }

    private static IEnumerable<(string, byte[])> Ascii(IEnumerable<string> values) => values.Select(v => (v, Encoding.ASCII.GetBytes(v)));

    private static Task<string?> NamesTheField(HttpResponseMessage response, string path, string what) => NotNamingAsync(response, FieldName(path), what);

    private static Task<string?> NoServerError(HttpResponseMessage response, string path, string what) => GarbageInputTests.ProblemAsync(response, what);

    private static async Task<string?> Is400(HttpResponseMessage response, string path, string what) =>
        response.StatusCode == HttpStatusCode.BadRequest && await GarbageInputTests.ProblemAsync(response, what) is null
            ? null
            : $"{what} → {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_lone_surrogate_in_any_field_answers_400_naming_the_field(string route) =>
        (await EveryFieldAsync(route, Ascii(LoneSurrogates), NamesTheField)).ShouldBeEmpty();

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Bytes_that_are_not_UTF8_in_any_field_answer_400_naming_the_field(string route) =>
        (await EveryFieldAsync(route, NotUtf8.Select(b => (Convert.ToHexString(b), (byte[])[(byte)'"', .. b, (byte)'"'])), NamesTheField)).ShouldBeEmpty();

    [Theory]
    [InlineData("""{"\ud800":1,"model":"local/echo-1","messages":[{"role":"user","content":"hi"}]}""", "body")]
    [InlineData("""{"model":"local/echo-1","messages":[{"role":"user","content":[{"type":"text","text":"x","\udc00":1}]}]}""", "messages[0].content[0]")]
    [InlineData("""{"model":"local/echo-1","messages":[{"role":"user","content":"hi"}],"metadata":{"k\ud800":"v"}}""", "metadata")]
    [InlineData("""{"model":"local/echo-1","messages":[{"role":"user","content":"hi"}],"stop":["ok","\ud800"]}""", "stop[1]")]
    [InlineData("""{"model":"local/echo-1","messages":[{"role":"user","content":"hi"}],"tool_choice":"\udfff"}""", "tool_choice")]
    public async Task A_lone_surrogate_in_a_property_name_or_nested_value_answers_400_naming_where_it_is(string json, string field)
    {
        var response = await PostAsync("/v1/chat/completions", Encoding.UTF8.GetBytes(json));

        (await NotNamingAsync(response, field, json)).ShouldBeNull();
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Control_characters_and_odd_code_points_in_any_field_never_answer_500(string route) =>
        (await EveryFieldAsync(route, Ascii(ControlCharacters), NoServerError)).ShouldBeEmpty();

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_raw_control_byte_in_any_field_answers_400(string route) =>
        (await EveryFieldAsync(route, [("raw 0x01", [(byte)'"', 0x61, 0x01, (byte)'"'])], Is400)).ShouldBeEmpty();

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Deep_nesting_in_any_field_answers_400(string route) =>
        (await EveryFieldAsync(route, ((int[])[70, 5_000, 100_000]).Select(depth => ($"nested {depth} deep", Encoding.ASCII.GetBytes(new string('[', depth) + new string(']', depth)))), Is400))
            .ShouldBeEmpty();

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Numbers_out_of_range_in_any_field_never_answer_500(string route) =>
        (await EveryFieldAsync(route, Ascii(OutOfRange), NoServerError)).ShouldBeEmpty();

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_duplicate_key_answers_400_rather_than_picking_one(string route)
    {
        var baseJson = BodyOf(route).Base.Trim();
        var problems = new List<string>();
        foreach (var (name, value) in JsonNode.Parse(baseJson)!.AsObject())
        {
            // The same key twice, with the same value and with another one: neither is read as "whichever wins".
            foreach (var copy in (string[])[value!.ToJsonString(), "null"])
            {
                var json = $"{{\"{name}\":{copy}," + baseJson[1..];
                var response = await PostAsync(route, Encoding.UTF8.GetBytes(json));
                if (response.StatusCode != HttpStatusCode.BadRequest || await GarbageInputTests.ProblemAsync(response, json) is not null)
                {
                    problems.Add($"{name} twice → {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
            }
        }

        problems.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_duplicate_key_inside_a_content_part_answers_400()
    {
        var response = await gateway.PostJsonAsync("/v1/chat/completions",
            """{"model":"local/echo-1","messages":[{"role":"user","content":[{"type":"text","text":"a","text":"b"}]}]}""");

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await GatewayFixture.ReadJsonAsync(response))["error"]!["code"]!.GetValue<string>().ShouldBe("invalid_json");
    }

    [Theory]
    [InlineData("application/octet-stream")]
    [InlineData("image/png")]
    [InlineData("application/jsonp")]
    [InlineData("json")]
    [InlineData(";;;")]
    [InlineData("application/json; charset=\"")]
    public async Task Wrong_or_malformed_content_types_answer_4xx_with_a_CCAPI_error(string contentType)
    {
        var problems = new List<string>();
        foreach (var route in AllRoutes)
        {
            var response = await PostAsync(route, Encoding.UTF8.GetBytes(BodyOf(route).Base), contentType);
            if ((int)response.StatusCode is < 400 or >= 500 || await GarbageInputTests.ProblemAsync(response, route) is not null)
            {
                problems.Add($"{route} → {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
        }

        problems.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("utf-16")]
    [InlineData("utf-32")]
    [InlineData("iso-8859-1")]
    public async Task A_body_declared_in_another_encoding_answers_415_not_500(string encoding)
    {
        // JSON is UTF-8: a declared charset other than UTF-8 is an unsupported media type, not a body to misread.
        var problems = new List<string>();
        foreach (var route in AllRoutes)
        {
            var json = BodyOf(route).Base.Replace("\"local/", "\"lócal/", StringComparison.Ordinal).Replace("hostile", "hóstile", StringComparison.Ordinal);
            var body = Encoding.GetEncoding(encoding).GetBytes(json);
            var response = await PostAsync(route, body, $"application/json; charset={encoding}");
            if (response.StatusCode != HttpStatusCode.UnsupportedMediaType || await GarbageInputTests.ProblemAsync(response, route) is not null)
            {
                problems.Add($"{route} in {encoding} → {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
        }

        problems.ShouldBeEmpty();
    }
}

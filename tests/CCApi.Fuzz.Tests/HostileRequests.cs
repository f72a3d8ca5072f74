using System.Net.Http.Headers;
using System.Text;

namespace CCApi.Fuzz.Tests;

/// <summary>One generated request: which route, which mutation, which field, and a seed for everything else.</summary>
public sealed record FuzzCase(int Route, int Mutation, int Field, int Seed);

/// <summary>A body route: its path, a valid body, the fields worth breaking, and which key it needs.</summary>
public sealed record BodyRoute(string Method, string Path, string Body, string[] Fields, bool Admin = false);

/// <summary>
/// Builds hostile requests from a <see cref="FuzzCase"/>: every body route's valid request with one thing broken (a
/// field's value replaced by a corpus value, a generated nasty string, a wrong type, raw bytes that are not UTF-8, deep
/// nesting, a huge array, a duplicate key, a missing field, an unknown field; or the body truncated, the content type
/// wrong, the Authorization header garbage), and the GET/DELETE routes with absurd ids and query strings.
/// </summary>
public static class HostileRequests
{
    private const string Marker = "fuzzmarker";

    /// <summary>1×1 PNG, the smallest valid input image.</summary>
    private const string TinyPng = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

    public static readonly BodyRoute[] BodyRoutes =
    [
        new("POST", "/v1/chat/completions",
            """{"model":"local/echo-1","messages":[{"role":"system","content":"s"},{"role":"user","content":"hi","name":"n"}],"tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"}}}],"tool_choice":"auto","stop":["x"],"temperature":0.5,"top_p":1,"max_tokens":8,"n":1,"seed":1,"user":"u","metadata":{"a":"b"},"stream":false}""",
            ["model", "models", "messages", "messages.0", "messages.1.role", "messages.1.content", "messages.1.name", "messages.1.tool_calls",
             "messages.1.tool_call_id", "tools", "tools.0.function", "tools.0.function.name", "tools.0.function.parameters", "tool_choice",
             "stop", "stop.0", "temperature", "top_p", "max_tokens", "max_completion_tokens", "n", "seed", "user", "metadata", "metadata.a",
             "stream", "stream_options", "logit_bias", "response_format"]),
        new("POST", "/v1/chat/completions",
            """{"model":"local/echo-1","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"stream":true,"stream_options":{"include_usage":true},"max_tokens":8}""",
            ["model", "messages.0.content", "messages.0.content.0", "messages.0.content.0.type", "messages.0.content.0.text",
             "messages.0.content.0.image_url", "stream", "stream_options", "stream_options.include_usage", "max_tokens"]),
        new("POST", "/v1/images/generations",
            """{"model":"local/pixel-1","prompt":"a red square","n":1,"size":"64x64","response_format":"b64_json","quality":"standard","style":"vivid","user":"u"}""",
            ["model", "prompt", "n", "size", "response_format", "quality", "style", "user"]),
        new("POST", "/v1/images/generate",
            $$$"""{"model":"local/pixel-1","contents":[{"text":"a blue circle","image":{"data":"{{{TinyPng}}}","mime_type":"image/png"}}],"parameters":{"num_images":1,"width":64,"height":64,"seed":1,"steps":1,"guidance_scale":1,"negative_prompt":"n","strength":0.5,"response_format":"url"}}""",
            ["model", "contents", "contents.0", "contents.0.text", "contents.0.image", "contents.0.image.url", "contents.0.image.data",
             "contents.0.image.mime_type", "contents.0.mask", "parameters", "parameters.num_images", "parameters.width", "parameters.height",
             "parameters.aspect_ratio", "parameters.quality", "parameters.seed", "parameters.steps", "parameters.guidance_scale",
             "parameters.negative_prompt", "parameters.strength", "parameters.response_format", "parameters.output_format",
             "parameters.output_compression", "parameters.background", "parameters.moderation", "webhook_url"]),
        new("POST", "/v1/images/generate",
            """{"model":"local/pixel-async-1","contents":[{"text":"an async green line"}],"parameters":{"num_images":1,"width":64,"height":64}}""",
            ["model", "contents", "contents.0.text", "contents.0.image", "parameters", "parameters.num_images", "parameters.width",
             "parameters.height", "webhook_url"]),
        new("POST", "/v1/audio/speech",
            """{"model":"local/espeak-1","input":"hi","voice":"alloy","speed":1,"response_format":"wav"}""",
            ["model", "input", "voice", "speed", "response_format", "output_format", "instructions"]),
        new("POST", "/admin/v1/keys",
            """{"name":"fuzz","credits_usd":1,"models":["local/*"],"limits":{"rpm":1000,"tpm":100000,"concurrency":10},"allow_unpriced":true}""",
            ["name", "credits_usd", "models", "models.0", "limits", "limits.rpm", "limits.tpm", "limits.concurrency", "expires_at", "allow_unpriced"],
            Admin: true),
        new("PATCH", "/admin/v1/keys/key_0000000000000000",
            """{"name":"fuzz","models":["local/*"],"limits":{"rpm":1000},"allow_unpriced":false}""",
            ["name", "models", "limits", "limits.rpm", "expires_at", "allow_unpriced", "credits_usd"], Admin: true),
        new("POST", "/admin/v1/keys/key_0000000000000000/credits", """{"amount_usd":1,"note":"fuzz"}""", ["amount_usd", "note"], Admin: true),
    ];

    /// <summary>GET/DELETE routes with a place for an absurd id or query; "{id}" is replaced.</summary>
    public static readonly (string Method, string Template, bool Admin)[] IdRoutes =
    [
        ("GET", "/v1/images/jobs/{id}", false),
        ("GET", "/v1/files/{id}?expires={q}&signature={q}", false),
        ("GET", "/v1/providers/{id}", false),
        ("GET", "/v1/models?type={q}&provider={q}&capability={q}", false),
        ("GET", "/v1/models/{id}", false),
        ("GET", "/v1/key?{q}={q}", false),
        ("GET", "/admin/v1/keys/{id}", true),
        ("GET", "/admin/v1/keys?limit={q}&after={q}", true),
        ("GET", "/admin/v1/keys/{id}/ledger?limit={q}&after={q}", true),
        ("DELETE", "/admin/v1/keys/{id}", true),
    ];

    public const int Mutations = 14;

    public static int Routes => BodyRoutes.Length + IdRoutes.Length;

    public static IReadOnlyList<byte[]> Corpus { get; } = LoadCorpus();

    /// <summary>The request for <paramref name="c"/> and a one-line description of it (for failure messages).</summary>
    public static (HttpRequestMessage Request, bool Admin, string Description) Build(FuzzCase c)
    {
        var random = new Random(c.Seed);
        if (c.Route >= BodyRoutes.Length)
        {
            var (method, template, admin) = IdRoutes[c.Route - BodyRoutes.Length];
            var path = template.Replace("{id}", AbsurdId(random), StringComparison.Ordinal);
            while (path.Contains("{q}", StringComparison.Ordinal))
            {
                var at = path.IndexOf("{q}", StringComparison.Ordinal);
                path = path[..at] + Uri.EscapeDataString(AbsurdText(random)) + path[(at + 3)..];
            }

            return (new HttpRequestMessage(new HttpMethod(method), path), admin, $"{method} {path}");
        }

        var route = BodyRoutes[c.Route];
        var field = route.Fields[c.Field % route.Fields.Length];
        var contentType = "application/json";
        string? authorization = null;
        byte[] body;
        string what;
        switch (c.Mutation % Mutations)
        {
            case 0:
            case 1:
                var value = Corpus[random.Next(Corpus.Count)];
                body = With(route.Body, field, value);
                what = $"{field} = corpus {Encoding.UTF8.GetString(value)}";
                break;
            case 2:
                var text = NastyString(random, random.Next(4) == 0 ? random.Next(1000, 60_000) : random.Next(0, 40));
                body = With(route.Body, field, Encoding.UTF8.GetBytes(JsonValue.Create(text).ToJsonString()));
                what = $"{field} = generated string of {text.Length} chars";
                break;
            case 3:
                var escaped = EscapedNasty(random);
                body = With(route.Body, field, Encoding.UTF8.GetBytes(escaped));
                what = $"{field} = {escaped}";
                break;
            case 4:
                byte[][] bad = [[0xFF], [0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xC3], [0x00], [0x1F]];
                var bytes = bad[random.Next(bad.Length)];
                body = With(route.Body, field, [0x22, (byte)'a', .. bytes, (byte)'b', 0x22]);
                what = $"{field} = string with bytes {Convert.ToHexString(bytes)}";
                break;
            case 5:
                var depth = random.Next(2) == 0 ? random.Next(60, 200) : random.Next(1000, 20_000);
                var nested = random.Next(2) == 0 ? new string('[', depth) + new string(']', depth) : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
                body = With(route.Body, field, Encoding.UTF8.GetBytes(nested));
                what = $"{field} = nested {depth} deep";
                break;
            case 6:
                var count = random.Next(2) == 0 ? random.Next(100, 5000) : random.Next(50_000, 200_000);
                var element = random.Next(3) switch { 0 => "1", 1 => "\"x\"", _ => "{\"role\":\"user\",\"content\":\"x\"}" };
                body = With(route.Body, field, Encoding.UTF8.GetBytes("[" + string.Join(',', Enumerable.Repeat(element, count)) + "]"));
                what = $"{field} = array of {count} × {element}";
                break;
            case 7:
                var duplicate = field.Split('.')[0];
                var json = route.Body.TrimEnd();
                body = Encoding.UTF8.GetBytes(json[..^1] + $",\"{duplicate}\":{(random.Next(2) == 0 ? "null" : "\"dup\"")}}}");
                what = $"duplicate key {duplicate}";
                break;
            case 8:
                var full = Encoding.UTF8.GetBytes(route.Body);
                var cut = random.Next(0, full.Length);
                body = full[..cut];
                what = $"body truncated at {cut} of {full.Length}";
                break;
            case 9:
                string[] types =
                [
                    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16",
                    "application/json; charset=latin1", "application/jsonx", "application/xml", "*/*", "application/json; charset=\"\"", "",
                ];
                contentType = types[random.Next(types.Length)];
                body = Encoding.UTF8.GetBytes(route.Body);
                what = $"Content-Type: {contentType}";
                break;
            case 10:
                string[] auths =
                [
                    "Bearer", "Bearer ", "Bearer  " + new string('x', 20), "Basic dXNlcjpwYXNz", "bearer sk-" + new string('a', 9000),
                    "Bearer \u00ff\u00fe", "Bearer sk-\u0001\u0002", "Token abc", "Bearer a b c", "Bearer " + AbsurdText(random),
                ];
                authorization = auths[random.Next(auths.Length)];
                body = Encoding.UTF8.GetBytes(route.Body);
                what = $"Authorization: {authorization[..Math.Min(40, authorization.Length)]}";
                break;
            case 11:
                body = Encoding.UTF8.GetBytes(Remove(route.Body, field));
                what = $"{field} removed";
                break;
            case 12:
                var extra = Corpus[random.Next(Corpus.Count)];
                body = With(route.Body, "zz_unknown_" + random.Next(100), extra);
                what = $"unknown field = {Encoding.UTF8.GetString(extra)}";
                break;
            default:
                var typed = WrongTypes[random.Next(WrongTypes.Length)];
                body = With(route.Body, field, Encoding.UTF8.GetBytes(typed));
                what = $"{field} = {typed}";
                break;
        }

        var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Path) { Content = new ByteArrayContent(body) };
        if (contentType.Length > 0)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return (request, route.Admin, $"{route.Method} {route.Path}: {what}");
    }

    private static readonly string[] WrongTypes =
        ["true", "false", "null", "{}", "[]", "0", "-1", "1.5", "1e308", "\"\"", "\"1\"", "[[]]", "[{}]", "{\"a\":[]}"];

    /// <summary>The valid body with the field at <paramref name="path"/> ("a.0.b") set to <paramref name="raw"/>, byte for byte.</summary>
    public static byte[] With(string body, string path, byte[] raw)
    {
        var node = JsonNode.Parse(body)!;
        Set(node, path.Split('.'), JsonValue.Create(Marker));
        var json = node.ToJsonString();
        var at = json.IndexOf($"\"{Marker}\"", StringComparison.Ordinal);
        return [.. Encoding.UTF8.GetBytes(json[..at]), .. raw, .. Encoding.UTF8.GetBytes(json[(at + Marker.Length + 2)..])];
    }

    private static string Remove(string body, string path)
    {
        var node = JsonNode.Parse(body)!;
        var parts = path.Split('.');
        var parent = parts.Length == 1 ? node : Navigate(node, parts[..^1]);
        switch (parent)
        {
            case JsonObject o:
                o.Remove(parts[^1]);
                break;
            case JsonArray a when int.TryParse(parts[^1], out var i) && i < a.Count:
                a.RemoveAt(i);
                break;
        }

        return node.ToJsonString();
    }

    private static JsonNode? Navigate(JsonNode node, string[] parts)
    {
        JsonNode? current = node;
        foreach (var part in parts)
        {
            current = current switch
            {
                JsonObject o => o[part],
                JsonArray a when int.TryParse(part, out var i) && i < a.Count => a[i],
                _ => null,
            };
        }

        return current;
    }

    /// <summary>Sets (creating objects on the way, replacing what is not one) the value at <paramref name="parts"/>.</summary>
    private static void Set(JsonNode root, string[] parts, JsonNode value)
    {
        var current = root;
        for (var i = 0; i < parts.Length; i++)
        {
            var last = i == parts.Length - 1;
            if (current is JsonArray array && int.TryParse(parts[i], out var index))
            {
                while (array.Count <= index)
                {
                    array.Add(new JsonObject());
                }

                if (last)
                {
                    array[index] = value;
                    return;
                }

                if (array[index] is not JsonObject and not JsonArray)
                {
                    array[index] = new JsonObject();
                }

                current = array[index]!;
                continue;
            }

            var obj = current as JsonObject ?? throw new InvalidOperationException($"Cannot set {string.Join('.', parts)}.");
            if (last)
            {
                obj[parts[i]] = value;
                return;
            }

            if (obj[parts[i]] is not JsonObject and not JsonArray)
            {
                obj[parts[i]] = int.TryParse(parts[i + 1], out _) ? new JsonArray() : new JsonObject();
            }

            current = obj[parts[i]]!;
        }
    }

    private static string NastyString(Random random, int length)
    {
        string[] pieces = ["\u0000", "\u0001", "\u001b[31m", "\u007f", "\u0085", "\u200b", "\u202e", "\u2028", "\ufeff", "\uffff", "😀", "𝕏",
            "\\", "\"", "'", "<", ">", "&", "%", "%00", "\r\n", "\t", "a", "Z", "0", " ", "ß", "漢", "ﷺ", "̈", "\ud83d\ude00"];
        var builder = new StringBuilder(length + 8);
        while (builder.Length < length)
        {
            builder.Append(pieces[random.Next(pieces.Length)]);
        }

        return builder.ToString();
    }

    /// <summary>JSON string literals with escapes: lone and reversed surrogates mixed with ordinary text.</summary>
    private static string EscapedNasty(Random random)
    {
        string[] escapes = ["\\ud800", "\\udbff", "\\udc00", "\\udfff", "\\u0000", "\\u001f", "\\ud83d\\ude00", "\\ude00\\ud83d", "a", "\\n", "\\\"", "\\/"];
        var builder = new StringBuilder("\"");
        for (var i = random.Next(1, 8); i > 0; i--)
        {
            builder.Append(escapes[random.Next(escapes.Length)]);
        }

        return builder.Append('"').ToString();
    }

    private static string AbsurdId(Random random) => random.Next(12) switch
    {
        0 => new string('a', random.Next(300, 4000)),
        1 => "img_" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()),
        2 => "..%2F..%2F..%2Fetc%2Fpasswd",
        3 => "%ff%fe",
        4 => "%C0%AF",
        5 => Uri.EscapeDataString("漢字😀\u202e"),
        6 => "-1",
        7 => "key_" + new string('0', 16),
        8 => "%2e%2e",
        9 => Uri.EscapeDataString(AbsurdText(random)),
        10 => "img_" + new string('z', 32) + ".png",
        _ => Uri.EscapeDataString(new string((char)random.Next(0x21, 0x7e), random.Next(1, 50))),
    };

    private static string AbsurdText(Random random) => random.Next(10) switch
    {
        0 => "",
        1 => "-1",
        2 => "99999999999999999999999",
        3 => "1e400",
        4 => "\u0000\u0001",
        5 => new string('9', random.Next(10, 3000)),
        6 => "0x10",
        7 => "漢😀\u202e",
        8 => "' OR 1=1 --",
        _ => random.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static List<byte[]> LoadCorpus()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Corpus", "nasty-values.txt");
        var values = new List<byte[]>();
        foreach (var line in File.ReadAllLines(path, Encoding.UTF8))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            values.Add(line.StartsWith("hex:", StringComparison.Ordinal) ? Convert.FromHexString(line[4..]) : Encoding.UTF8.GetBytes(line));
        }

        return values;
    }

    /// <summary>Sets the bearer a request needs (unless the mutation set its own).</summary>
    public static void Authorize(HttpRequestMessage request, string key)
    {
        if (!request.Headers.Contains("Authorization"))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
    }
}

using System.Net.Sockets;
using System.Text;

namespace CCApi.Fuzz.Tests;

/// <summary>
/// Requests Kestrel refuses itself, before any middleware (bad request line, bad header bytes, <c>%00</c> in the path,
/// 414, 431, broken framing), and those ASP.NET Core answers without an endpoint (404, 405, 415, 413): each carries the
/// CCAPI error object. Sent as raw bytes over TCP to the real gateway process, since HttpClient will not send most of them.
/// </summary>
public sealed class KestrelRejectionTests(FuzzPlatform platform) : FuzzTest(platform)
{
    public static TheoryData<string, string, int> Requests() => new()
    {
        { "garbage request line", "GARBAGE\r\n\r\n", 400 },
        { "NUL in the path", "GET /v1/%00models HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
        { "raw NUL byte in the path", "GET /v1/\0 HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
        { "no Host header", "GET /v1/models HTTP/1.1\r\n\r\n", 400 },
        { "two Host headers", "GET /v1/models HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
        { "header without a colon", "GET /v1/models HTTP/1.1\r\nHost: x\r\nBroken\r\n\r\n", 400 },
        { "space before the colon", "GET /v1/models HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n", 400 },
        { "non-numeric Content-Length", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400 },
        { "Content-Length and chunked (chunked wins, the empty body is refused)", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400 },
        { "bad chunk size", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n", 400 },
        { "chunk size too large for a number", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nabc\r\n0\r\n\r\n", 400 },
        { "chunk size too large for a number, admin route", "POST /admin/v1/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {admin}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nabc\r\n0\r\n\r\n", 400 },
        { "gzip-encoded JSON body", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}", 415 },
        { "br-encoded multipart body", "POST /v1/images/edits HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Encoding: br\r\nContent-Length: 7\r\n\r\n--b--\r\n", 415 },
        { "HTTP version 9.9", "GET /v1/models HTTP/9.9\r\nHost: x\r\n\r\n", 505 },
        { "request target too long", "GET /" + new string('a', 20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414 },
        { "headers too large", "GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('a', 40_000) + "\r\n\r\n", 431 },
        { "unknown route", "GET /v1/nothing-here HTTP/1.1\r\nHost: x\r\n\r\n", 404 },
        { "wrong method", "DELETE /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n\r\n", 405 },
        { "wrong content type", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi", 415 },
        { "speech body over its route's limit", "POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: 600000\r\n\r\n{", 413 },
        { "admin body over its route's limit", "POST /admin/v1/keys HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 300000\r\n\r\n{", 413 },
        { "body larger than allowed", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\n\r\n{", 413 },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task A_request_refused_before_the_API_answers_with_the_error_object(string what, string raw, int status)
    {
        var (head, body) = await SendRawAsync(raw.Replace("{key}", Platform.ApiKey, StringComparison.Ordinal).Replace("{admin}", Platform.AdminKey, StringComparison.Ordinal));

        head.ShouldStartWith($"HTTP/1.1 {status} ", customMessage: what);
        head.ShouldContain("Content-Type: application/json", Case.Insensitive, what);
        var error = JsonNode.Parse(body)?["error"];
        error.ShouldNotBeNull($"{what}: {body}");
        ((string?)error["message"]).ShouldNotBeNullOrEmpty();
        ((string?)error["type"]).ShouldNotBeNullOrEmpty();
    }

    public static TheoryData<string, string> UnreadableBodies() => new()
    {
        { "bad chunk size", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n" },
        { "bad chunk suffix", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n" },
        { "bad chunk suffix, admin route", "POST /admin/v1/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {admin}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n" },
        { "bad chunk size, multipart route", "POST /v1/images/edits HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n--b--\r\n0\r\n\r\n" },
        { "a body that stalls before its Content-Length", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"model\":" },
    };

    /// <summary>
    /// A body Kestrel cannot read — broken chunk framing, or one that stops arriving (its minimum data rate, after the
    /// grace period) — is the same 400 on every route: naming <c>body</c>, in the reader's words without pointers to server
    /// settings, not the multipart reader's "ended before its closing boundary".
    /// </summary>
    [Theory]
    [MemberData(nameof(UnreadableBodies))]
    public async Task A_body_that_cannot_be_read_is_a_400_naming_body_on_every_route(string what, string raw)
    {
        var (head, body) = await SendRawAsync(raw.Replace("{key}", Platform.ApiKey, StringComparison.Ordinal).Replace("{admin}", Platform.AdminKey, StringComparison.Ordinal));

        head.ShouldStartWith("HTTP/1.1 400 ", customMessage: what);
        var error = JsonNode.Parse(body)!["error"]!;
        ((string?)error["details"]?["param"]).ShouldBe("body", what + ": " + body);
        var message = (string)error["message"]!;
        message.ShouldStartWith("The request body could not be read: ", Case.Sensitive, what);
        message.ShouldNotContain(" See ", Case.Sensitive, what);
    }

    [Fact]
    public async Task A_valid_request_on_the_same_server_is_answered_normally_after_the_rejections()
    {
        var (head, body) = await SendRawAsync($"GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {Platform.ApiKey}\r\nConnection: close\r\n\r\n");

        head.ShouldStartWith("HTTP/1.1 200 ");
        body.ShouldContain("local/echo-1");
    }

    [Fact]
    public async Task A_streamed_multipart_edit_over_its_routes_limit_is_413_as_a_json_body_is()
    {
        // Chunked (no Content-Length), so the limit is met while the form is read, not before the endpoint runs.
        using var image = new StreamContent(new MemoryStream(new byte[26 * 1024 * 1024]));
        image.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/png");
        using var form = new MultipartFormDataContent { { new StringContent("local/pixel-1"), "model" }, { new StringContent("x"), "prompt" }, { image, "image", "big.png" } };

        using var response = await PostChunkedAsync("/v1/images/edits", form);

        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.RequestEntityTooLarge);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        ((string?)error["code"]).ShouldBe("payload_too_large");
    }

    [Fact]
    public async Task A_streamed_JSON_body_over_its_routes_limit_is_413_not_400()
    {
        // Chunked (no Content-Length): Kestrel meets the speech route's limit (512 KiB) while JsonBody reads, and refuses it
        // with its own BadHttpRequestException — an IOException, which must not be taken for an unreadable body (400).
        var json = Encoding.UTF8.GetBytes("{\"model\":\"local/espeak-1\",\"voice\":\"alloy\",\"input\":\"" + new string('a', 700_000) + "\"}");
        using var content = new StreamContent(new MemoryStream(json));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await PostChunkedAsync("/v1/audio/speech", content);

        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.RequestEntityTooLarge);
        ((string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["code"]).ShouldBe("payload_too_large");
    }

    /// <summary>POSTs <paramref name="content"/> to the real gateway chunked (no Content-Length), with the platform's key.</summary>
    private async Task<HttpResponseMessage> PostChunkedAsync(string path, HttpContent content)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{Platform.GatewayPort}{path}") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Platform.ApiKey);
        using var client = new HttpClient();
        return await client.SendAsync(request);
    }

    /// <summary>Sends <paramref name="raw"/> (Latin-1 bytes) and reads the answer until the server closes or its body is complete.</summary>
    private async Task<(string Head, string Body)> SendRawAsync(string raw)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", Platform.GatewayPort);
        var stream = tcp.GetStream();
        stream.ReadTimeout = 10_000;
        await stream.WriteAsync(Encoding.Latin1.GetBytes(raw));
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (true)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, timeout.Token);
            }
            catch (IOException)
            {
                break; // reset after the answer
            }

            if (read == 0)
            {
                break;
            }

            received.Write(buffer, 0, read);
            if (IsComplete(received.ToArray()))
            {
                break;
            }
        }

        var text = Encoding.UTF8.GetString(received.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        split.ShouldBeGreaterThan(0, $"no HTTP answer: {text}");
        var head = text[..split];
        var body = text[(split + 4)..];
        if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Dechunk(body);
        }

        return (head, body);
    }

    private static bool IsComplete(byte[] data)
    {
        var text = Encoding.UTF8.GetString(data);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0)
        {
            return false;
        }

        var head = text[..split];
        var match = System.Text.RegularExpressions.Regex.Match(head, @"Content-Length: (\d+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        if (match.Success)
        {
            return Encoding.UTF8.GetByteCount(text[(split + 4)..]) >= int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }

        return head.Contains("chunked", StringComparison.OrdinalIgnoreCase) && text.EndsWith("0\r\n\r\n", StringComparison.Ordinal);
    }

    private static string Dechunk(string chunked)
    {
        var result = new StringBuilder();
        var position = 0;
        while (position < chunked.Length)
        {
            var lineEnd = chunked.IndexOf("\r\n", position, StringComparison.Ordinal);
            if (lineEnd < 0)
            {
                break;
            }

            var size = Convert.ToInt32(chunked[position..lineEnd], 16);
            if (size == 0)
            {
                break;
            }

            result.Append(chunked, lineEnd + 2, size);
            position = lineEnd + 2 + size + 2;
        }

        return result.ToString();
    }
}

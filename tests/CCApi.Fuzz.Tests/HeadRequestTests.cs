using System.Net.Sockets;
using System.Text;

namespace CCApi.Fuzz.Tests;

/// <summary>
/// HEAD on the real gateway process, over raw TCP so that what Kestrel puts on the wire is what is checked: every GET
/// route answers HEAD with the GET's status and headers and no body (a GET pipelined behind it on the same connection is
/// answered next, so no body bytes came between), a route without GET answers 405, and an event stream refuses HEAD at
/// once instead of holding the connection.
/// </summary>
public sealed class HeadRequestTests(FuzzPlatform platform) : FuzzTest(platform)
{
    [Theory]
    [InlineData("/v1/models")]
    [InlineData("/models")]
    [InlineData("/v1/models/local/echo-1")]
    [InlineData("/v1/providers")]
    [InlineData("/v1/key")]
    [InlineData("/health/live")]
    public async Task A_GET_route_answers_HEAD_with_the_GETs_headers_and_no_body(string path)
    {
        var (head, rest) = await HeadThenGetAsync(path, Platform.ApiKey);

        head.ShouldStartWith("HTTP/1.1 200 ", customMessage: path);
        head.ShouldContain("Content-Type: application/json", Case.Insensitive, path);
        rest.ShouldStartWith("HTTP/1.1 200 ", customMessage: $"{path}: the GET behind the HEAD, right after its headers"); // no body in between
    }

    [Fact]
    public async Task HEAD_without_a_key_is_401_as_GET_is()
    {
        var (head, rest) = await HeadThenGetAsync("/v1/models", apiKey: null);

        head.ShouldStartWith("HTTP/1.1 401 ");
        head.ShouldContain("WWW-Authenticate: Bearer", Case.Insensitive);
        rest.ShouldStartWith("HTTP/1.1 401 ");
    }

    [Theory]
    [InlineData("/v1/chat/completions", "POST")]
    [InlineData("/v1/images/jobs/img_00000000000000000000000000000000/events", "GET")]
    [InlineData("/v1/chat/completions/chatcmpl-00000000000000000000000000000000/stream", "GET")]
    public async Task HEAD_on_a_route_without_GET_or_on_an_event_stream_is_405_at_once(string path, string allow)
    {
        var (head, rest) = await HeadThenGetAsync(path, Platform.ApiKey);

        head.ShouldStartWith("HTTP/1.1 405 ", customMessage: path);
        head.ShouldContain($"Allow: {allow}", Case.Insensitive, path);
        rest.ShouldStartWith("HTTP/1.1 ", customMessage: path);
    }

    [Theory]
    [InlineData("POST", "/health/live")]
    [InlineData("DELETE", "/health/ready")]
    [InlineData("PUT", "/health/live")]
    public async Task The_health_probes_answer_only_GET_and_HEAD(string method, string path)
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Platform.GatewayPort}") };

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        response.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        response.Content.Headers.Allow.ShouldBe(["GET", "HEAD"], ignoreOrder: true);
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["code"]!.GetValue<string>().ShouldBe("method_not_allowed");
    }

    /// <summary>
    /// Sends HEAD <paramref name="path"/> and, pipelined behind it on the same connection, GET <paramref name="path"/>
    /// with <c>Connection: close</c>; reads until the server closes. Returns the HEAD's status line and headers, and all
    /// that followed them (which must be the GET's answer: a HEAD has no body).
    /// </summary>
    private async Task<(string Head, string After)> HeadThenGetAsync(string path, string? apiKey)
    {
        var authorization = apiKey is null ? "" : $"Authorization: Bearer {apiKey}\r\n";
        var raw = $"HEAD {path} HTTP/1.1\r\nHost: x\r\n{authorization}\r\nGET {path} HTTP/1.1\r\nHost: x\r\n{authorization}Connection: close\r\n\r\n";
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", Platform.GatewayPort);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(raw));
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (await stream.ReadAsync(buffer, timeout.Token) is > 0 and var read)
        {
            received.Write(buffer, 0, read);
        }

        var text = Encoding.UTF8.GetString(received.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        split.ShouldBeGreaterThan(0, $"no HTTP answer: {text}");
        return (text[..split], text[(split + 4)..]);
    }
}

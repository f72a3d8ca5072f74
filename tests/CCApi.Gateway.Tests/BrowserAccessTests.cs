using CCApi.Gateway.Http;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CCApi.Gateway.Tests;

/// <summary>
/// CORS on the public API: a page on another origin (a web app's <c>fetch</c>, the OpenAI JavaScript SDK with
/// <c>dangerouslyAllowBrowser</c>) gets its preflight answered — with the SDK's <c>x-stainless-*</c> headers allowed — and
/// can read every answer, errors included, and the headers the SDKs read. Admin, health and console routes stay closed.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class BrowserAccessTests(GatewayFixture gateway)
{
    private const string Page = "https://app.example.com";

    /// <summary>What the OpenAI JavaScript SDK (v6) sends besides the body, as a browser lists it in a preflight.</summary>
    private const string SdkHeaders =
        "authorization,content-type,x-stainless-arch,x-stainless-lang,x-stainless-os,x-stainless-package-version,x-stainless-retry-count,x-stainless-runtime,x-stainless-runtime-version,x-stainless-timeout,idempotency-key";

    public static TheoryData<string, string> Routes() => AuthTests.Routes();

    private static HttpRequestMessage Preflight(string method, string path, string origin = Page)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        request.Headers.Add("Access-Control-Request-Headers", SdkHeaders);
        return request;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_preflight_from_any_origin_is_answered_with_the_sdks_headers_allowed(string method, string path)
    {
        using var request = Preflight(method, path);

        using var response = await gateway.Anonymous.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        Header(response, "Access-Control-Allow-Origin").ShouldBe("*");
        Header(response, "Access-Control-Allow-Methods").ShouldBe(method);
        Header(response, "Access-Control-Allow-Headers")!.Split(',').ShouldBe(SdkHeaders.Split(','), ignoreOrder: true);
        Header(response, "Access-Control-Max-Age").ShouldBe("600");
        Header(response, "Access-Control-Allow-Credentials").ShouldBeNull("a bearer key, never cookies");
    }

    [Fact]
    public async Task A_page_reads_a_chat_completion_and_the_headers_the_sdks_read()
    {
        var key = await gateway.CreateKeyAsync("""{"name":"browser","limits":{"rpm":1000}}""");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"local/echo-1","messages":[{"role":"user","content":"hi from a page"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Origin", Page);

        using var response = await key.Client.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        Header(response, "Access-Control-Allow-Origin").ShouldBe("*");
        var exposed = Header(response, "Access-Control-Expose-Headers")!.Split(',');
        exposed.ShouldContain("Retry-After");
        exposed.ShouldContain("x-should-retry"); // sent on a 409 only
        foreach (var header in new[] { "x-request-id", "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests" })
        {
            exposed.ShouldContain(header);
            Header(response, header).ShouldNotBeNull($"{header} is exposed and sent");
        }
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_page_can_read_a_401_and_its_error_object(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Add("Origin", Page);
        if (method == "POST")
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        using var response = await gateway.Anonymous.SendAsync(request);

        await GatewayFixture.ShouldBeErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_request_error", "unauthorized");
        Header(response, "Access-Control-Allow-Origin").ShouldBe("*");
    }

    [Fact]
    public async Task A_page_can_read_a_400_naming_the_field()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"local/echo-1","messages":"not a list"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Origin", Page);

        using var response = await gateway.Client.SendAsync(request);

        (await GatewayFixture.ShouldBeErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request_error", "invalid_json"))["param"]!
            .GetValue<string>().ShouldBe("messages");
        Header(response, "Access-Control-Allow-Origin").ShouldBe("*");
    }

    [Theory]
    [InlineData("POST", "/v1/responses", HttpStatusCode.NotFound, "not_found")]
    [InlineData("POST", "/v1/embeddings", HttpStatusCode.NotFound, "not_found")]
    [InlineData("PUT", "/v1/chat/completions", HttpStatusCode.MethodNotAllowed, "method_not_allowed")]
    public async Task A_page_reads_the_404_or_405_of_a_v1_path_no_route_serves(string method, string path, HttpStatusCode status, string code)
    {
        using var preflight = Preflight(method, path);
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        request.Headers.Add("Origin", Page);

        using var allowed = await gateway.Client.SendAsync(preflight);
        using var response = await gateway.Client.SendAsync(request);

        allowed.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        Header(allowed, "Access-Control-Allow-Origin").ShouldBe("*");
        Header(allowed, "Access-Control-Allow-Methods").ShouldBe(method);
        await GatewayFixture.ShouldBeErrorAsync(response, status, "invalid_request_error", code);
        Header(response, "Access-Control-Allow-Origin").ShouldBe("*");
    }

    [Theory]
    [InlineData("GET", "/admin/v1/keys")]
    [InlineData("POST", "/admin/v1/keys")]
    [InlineData("GET", "/admin/v1/stats")]
    [InlineData("GET", "/health/ready")]
    [InlineData("GET", "/console/")]
    [InlineData("POST", "/responses")]
    public async Task Admin_health_and_console_routes_answer_no_other_origin(string method, string path)
    {
        using var preflight = Preflight(method, path);
        using var get = new HttpRequestMessage(HttpMethod.Get, path);
        get.Headers.Add("Origin", Page);

        using var refused = await gateway.Anonymous.SendAsync(preflight);
        using var answer = await gateway.Anonymous.SendAsync(get);

        Header(refused, "Access-Control-Allow-Methods").ShouldBeNull();
        Header(refused, "Access-Control-Allow-Origin").ShouldBeNull();
        Header(answer, "Access-Control-Allow-Origin").ShouldBeNull();
    }

    [Fact]
    public async Task A_gateway_limited_to_its_origins_answers_those_alone()
    {
        await using var limited = gateway.NewGateway(gateway.AdminApiKey, settings: new Dictionary<string, string?>
        {
            ["Cors:AllowedOrigins:0"] = Page,
            ["Cors:AllowedOrigins:1"] = "https://*.example.org",
            ["Cors:PreflightMaxAge"] = "01:00:00",
        });
        var http = limited.CreateClient();

        async Task<(string? Origin, string? Vary, string? MaxAge)> AskAsync(string origin)
        {
            using var request = Preflight("POST", "/v1/chat/completions", origin);
            using var response = await http.SendAsync(request);
            response.StatusCode.ShouldBe(HttpStatusCode.NoContent);
            return (Header(response, "Access-Control-Allow-Origin"), Header(response, "Vary"), Header(response, "Access-Control-Max-Age"));
        }

        (await AskAsync(Page)).ShouldBe((Page, "Origin", "3600"));
        (await AskAsync("https://shop.example.org")).Origin.ShouldBe("https://shop.example.org");
        (await AskAsync("https://evil.example.net")).Origin.ShouldBeNull();
        (await AskAsync("http://app.example.com")).Origin.ShouldBeNull("another scheme is another origin");
    }

    [Fact]
    public void Turned_off_no_origin_is_allowed()
    {
        Evaluate(new BrowserAccessOptions { Enabled = false }, Page).IsOriginAllowed.ShouldBeFalse();
        Evaluate(new BrowserAccessOptions { Enabled = false, AllowedOrigins = [Page] }, Page).IsOriginAllowed.ShouldBeFalse();
        Evaluate(new BrowserAccessOptions(), "null").IsOriginAllowed.ShouldBeTrue("a sandboxed page or a file: its key still decides");
        Evaluate(new BrowserAccessOptions { AllowedOrigins = ["*"] }, Page).AllowedOrigin.ShouldBe("*");
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("*", true)]
    [InlineData("https://app.example.com", true)]
    [InlineData("http://localhost:5173", true)]
    [InlineData("https://*.example.com", true)]
    [InlineData("HTTPS://App.Example.com", true)]
    [InlineData("https://app.example.com/", false)]
    [InlineData("https://app.example.com/path", false)]
    [InlineData("app.example.com", false)]
    [InlineData("ftp://app.example.com", false)]
    [InlineData("https://app.example.com:443", false)]
    [InlineData("*,https://app.example.com", false)]
    [InlineData("", false)]
    public void Origins_are_checked_at_start(string? origins, bool valid) =>
        new BrowserAccessOptions { AllowedOrigins = origins?.Split(',') }.OriginsAreValid().ShouldBe(valid);

    [Fact]
    public void A_misconfigured_origin_stops_the_gateway_at_start()
    {
        using var factory = new ServiceFactory<Program>("gateway", new Dictionary<string, string?>
        {
            ["Services:CatalogUrl"] = "http://127.0.0.1:1",
            ["Services:JobStatusUrl"] = "http://127.0.0.1:1",
            ["Cors:AllowedOrigins:0"] = "https://app.example.com/",
        });

        factory.StartupFailure().ShouldBeOfType<OptionsValidationException>().Message.ShouldContain("Cors:AllowedOrigins");
    }

    private static CorsResult Evaluate(BrowserAccessOptions options, string origin)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Headers.Origin = origin;
        return new CorsService(Options.Create(new CorsOptions()), NullLoggerFactory.Instance).EvaluatePolicy(context, BrowserAccess.Policy(options));
    }
}

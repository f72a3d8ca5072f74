using System.Text.Json;
using Microsoft.Playwright;

namespace CCApi.EndToEnd.Tests;

/// <summary>
/// A web page on another origin calls the platform from Debian's chromium as the OpenAI JavaScript SDK does in a browser
/// (<c>dangerouslyAllowBrowser</c>): <c>fetch</c> with the bearer key and the SDK's <c>x-stainless-*</c> headers, so every
/// call is preflighted. The page is the gateway's own <c>/health/live</c> opened at <c>localhost</c> and the API is called
/// at <c>127.0.0.1</c>: two origins, both on loopback (so chromium's private-network rules do not interfere). A CORS
/// refusal makes <c>fetch</c> throw, and the test fail.
/// </summary>
public sealed class CrossOriginBrowserTests(PlatformFixture platform) : PlatformTest(platform), IAsyncLifetime
{
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        _browser = await Chromium.LaunchAsync(_playwright);
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }

    private const string Calls = """
        async ({ api, key }) => {
          const headers = (bearer) => ({
            'Authorization': 'Bearer ' + bearer, 'Content-Type': 'application/json', 'Accept': 'application/json',
            'X-Stainless-Lang': 'js', 'X-Stainless-Package-Version': '6.49.0', 'X-Stainless-OS': 'Unknown',
            'X-Stainless-Arch': 'unknown', 'X-Stainless-Runtime': 'browser:chrome', 'X-Stainless-Runtime-Version': '140.0.0',
            'X-Stainless-Retry-Count': '0', 'X-Stainless-Timeout': '600',
          });
          const chat = (body, bearer = key) => fetch(api + '/chat/completions', { method: 'POST', headers: headers(bearer), body: JSON.stringify(body) });

          const completion = await chat({ model: 'local/echo-1', messages: [{ role: 'user', content: 'hello from another origin' }] });
          const completed = await completion.json();

          const streamed = await chat({ model: 'local/echo-1', stream: true, messages: [{ role: 'user', content: 'stream to another origin' }] });
          const reader = streamed.body.getReader();
          const decoder = new TextDecoder();
          let text = '';
          for (;;) { const { done, value } = await reader.read(); if (done) break; text += decoder.decode(value, { stream: true }); }

          const models = await fetch(api + '/models', { headers: headers(key) });
          const refused = await chat({ model: 'local/echo-1', messages: [] }, 'sk-not-a-key-from-this-page');
          const invalid = await chat({ model: 'local/echo-1', messages: 'not a list' });

          return {
            origin: location.origin,
            status: completion.status,
            requestId: completion.headers.get('x-request-id'),
            content: completed.choices[0].message.content,
            streamStatus: streamed.status,
            streamJobId: streamed.headers.get('x-ccapi-job-id'),
            streamDone: text.trimEnd().endsWith('data: [DONE]'),
            models: (await models.json()).data.length,
            refused: refused.status,
            refusedCode: (await refused.json()).error.code,
            invalid: invalid.status,
            invalidParam: (await invalid.json()).error.param,
          };
        }
        """;

    [Fact]
    public async Task A_page_on_another_origin_chats_streams_lists_models_and_reads_the_errors()
    {
        var context = await _browser.NewContextAsync();
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        var pageOrigin = Platform.Origin.Replace("127.0.0.1", "localhost", StringComparison.Ordinal);
        await page.GotoAsync(pageOrigin + "/health/live");

        var result = await page.EvaluateAsync<JsonElement>(Calls, new { api = Platform.BaseUrl, key = Platform.ApiKey });

        string Text(string name) => result.GetProperty(name).ToString();
        Text("origin").ShouldBe(pageOrigin);
        Text("status").ShouldBe("200");
        Text("requestId").ShouldStartWith("req_");
        Text("content").ShouldContain("hello from another origin");
        Text("streamStatus").ShouldBe("200");
        Text("streamJobId").Length.ShouldBe(32, "the job id header a page needs to resume the stream is readable");
        result.GetProperty("streamDone").GetBoolean().ShouldBeTrue();
        result.GetProperty("models").GetInt32().ShouldBeGreaterThan(0);
        Text("refused").ShouldBe("401");
        Text("refusedCode").ShouldBe("unauthorized");
        Text("invalid").ShouldBe("400");
        Text("invalidParam").ShouldBe("messages");
        await context.CloseAsync();
    }
}

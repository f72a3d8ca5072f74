using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CCApi.EndToEnd.Tests;

/// <summary>
/// The operator console at /console, driven in Debian's chromium by Playwright against the real processes: sign in,
/// create a key (secret shown once), top it up, chat in the playground and see spend on Overview and Usage, follow an
/// async image job on Jobs, revoke the key and see the playground refused. Screenshots of every page at 1280 px and at
/// 390 px go to <c>$CCAPI_TEST_OUTPUT/console</c> (test.sh: <c>.data/test/output/console</c>).
/// </summary>
public sealed partial class ConsoleBrowserTests(PlatformFixture platform) : PlatformTest(platform), IAsyncLifetime
{
    private static readonly string[] Pages = ["overview", "keys", "usage", "jobs", "playground"];
    private readonly List<string> _consoleErrors = [];
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    private string ConsoleUrl => Platform.Origin + "/console/";

    private string ScreenshotDir => Path.Combine(
        Environment.GetEnvironmentVariable("CCAPI_TEST_OUTPUT") is { Length: > 0 } output ? output : Path.Combine(Platform.RepoRoot, ".data", "test", "output"),
        "console");

    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        _browser = await Chromium.LaunchAsync(_playwright);
        Directory.CreateDirectory(ScreenshotDir);
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }

    private async Task<IPage> NewPageAsync(int width = 1280, ColorScheme scheme = ColorScheme.Light)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = width < 600 ? 844 : 900 },
            ColorScheme = scheme,
            AcceptDownloads = true,
        });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.Contains("401", StringComparison.Ordinal))
            {
                _consoleErrors.Add(message.Text); // CSP violations and script errors land here
            }
        };
        page.PageError += (_, error) => _consoleErrors.Add(error);
        return page;
    }

    private async Task SignInAsync(IPage page)
    {
        await page.GotoAsync(ConsoleUrl);
        await page.GetByLabel("Admin key").FillAsync(Platform.AdminApiKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview", Level = 1 })).ToBeVisibleAsync();
    }

    private Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, name + ".png"), FullPage = true });

    [Fact]
    public async Task A_wrong_admin_key_gets_a_clear_message_and_no_console()
    {
        var page = await NewPageAsync();
        await page.GotoAsync(ConsoleUrl);

        await page.GetByLabel("Admin key").FillAsync("ccapi-admin-not-the-right-key-0000000000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("refused (401)");
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Console sections" })).ToBeHiddenAsync();
        (await page.EvaluateAsync<string?>("() => sessionStorage.getItem('ccapi.console.adminKey')")).ShouldBeNull();
        await ScreenshotAsync(page, "sign-in-refused-1280");
    }

    [Fact]
    public async Task The_console_is_served_with_a_strict_policy_and_revalidated_caching()
    {
        using var http = new HttpClient();

        using var redirect = await new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }).GetAsync(Platform.Origin + "/console");
        using var index = await http.GetAsync(ConsoleUrl);
        using var script = await http.GetAsync(ConsoleUrl + "app.js");

        redirect.StatusCode.ShouldBe(HttpStatusCode.Found);
        redirect.Headers.Location!.ToString().ShouldBe("/console/");
        index.StatusCode.ShouldBe(HttpStatusCode.OK);
        index.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        var csp = index.Headers.GetValues("Content-Security-Policy").Single();
        csp.ShouldContain("script-src 'self'");
        csp.ShouldContain("frame-ancestors 'none'");
        csp.ShouldNotContain("unsafe-inline");
        index.Headers.GetValues("X-Frame-Options").Single().ShouldBe("DENY");
        index.Headers.CacheControl!.NoCache.ShouldBeTrue();
        script.Content.Headers.ContentType!.MediaType.ShouldBe("text/javascript");
        (await index.Content.ReadAsStringAsync()).ShouldNotContain("<script>"); // no inline script: the only one has a src
        using var conditional = new HttpRequestMessage(HttpMethod.Get, ConsoleUrl + "app.js");
        conditional.Headers.IfNoneMatch.Add(script.Headers.ETag!);
        (await http.SendAsync(conditional)).StatusCode.ShouldBe(HttpStatusCode.NotModified);
    }

    [Fact]
    public async Task An_operator_runs_a_key_through_its_whole_life_in_the_console()
    {
        var page = await NewPageAsync();
        await SignInAsync(page);
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Providers and their status" })).ToContainTextAsync("available");

        // Keys: create one with $1, see its secret once, hand it to the playground.
        await page.GetByRole(AriaRole.Link, new() { Name = "Keys" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var create = page.GetByRole(AriaRole.Dialog, new() { Name = "Create key" });
        var name = "console-" + Guid.NewGuid().ToString("N")[..8];
        await create.GetByLabel("Name").FillAsync(name);
        await create.GetByLabel("Credits (USD)").FillAsync("1");
        await create.GetByLabel("Allowed models").FillAsync("local/*");
        await create.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        var shown = page.GetByRole(AriaRole.Dialog, new() { Name = "Key created — copy its secret now" });
        var secret = await shown.GetByLabel("Secret key").InputValueAsync();
        secret.ShouldStartWith("sk-ccapi-");
        await shown.GetByRole(AriaRole.Button, new() { Name = "Use in playground" }).ClickAsync();
        await shown.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = name });
        await Expect(row).ToContainTextAsync("$1.00");
        (await page.ContentAsync()).ShouldNotContain(secret); // shown once, never again

        // Top it up with a note; the ledger shows both entries.
        await page.GetByRole(AriaRole.Button, new() { Name = $"Add credits to {name}" }).ClickAsync();
        var credits = page.GetByRole(AriaRole.Dialog, new() { Name = $"Credits for {name}" });
        await credits.GetByLabel("Amount (USD)").FillAsync("2.5");
        await credits.GetByLabel("Note").FillAsync("console top-up");
        await credits.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(row).ToContainTextAsync("$3.50");
        await page.GetByRole(AriaRole.Button, new() { Name = $"Ledger of {name}" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog, new() { Name = $"Ledger of {name}" })).ToContainTextAsync("console top-up");
        await page.Keyboard.PressAsync("Escape");
        await ScreenshotAsync(page, "keys-1280");

        // Playground: a streamed chat with the new key shows its answer and its cost.
        await page.GetByRole(AriaRole.Link, new() { Name = "Playground" }).ClickAsync();
        await page.GetByLabel("Model", new() { Exact = true }).SelectOptionAsync("local/echo-1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(page.GetByTestId("chat-answer")).Not.ToBeEmptyAsync();
        await Expect(page.Locator(".usage-line")).ToContainTextAsync("$");
        await ScreenshotAsync(page, "playground-chat-1280");

        // Overview and Usage show the spend (settlement is recorded when the request ends).
        await page.GetByRole(AriaRole.Link, new() { Name = "Overview" }).ClickAsync();
        await Expect(page.Locator("[data-metric=spend-today] .card-value")).Not.ToHaveTextAsync("$0.00", new() { Timeout = 15_000 });
        await Expect(page.Locator("[data-metric=rpm] .card-value")).Not.ToHaveTextAsync("0", new() { Timeout = 15_000 });
        await ScreenshotAsync(page, "overview-1280");
        await page.GetByRole(AriaRole.Link, new() { Name = "Usage" }).ClickAsync();
        await page.GetByLabel("Key", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = $"{name} ({secret[..12]}…)" });
        await page.GetByLabel("Group by", new() { Exact = true }).SelectOptionAsync("model");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        var usage = page.GetByRole(AriaRole.Table, new() { Name = "Usage by model" });
        await Expect(usage).ToContainTextAsync("local/echo-1");
        await Expect(page.Locator("figure svg.chart").First).ToBeVisibleAsync();
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download CSV" }).ClickAsync());
        var csv = await File.ReadAllTextAsync(await download.PathAsync());
        csv.ShouldStartWith("model,requests,input_tokens,input_cached_tokens,output_tokens,images,characters,cost_usd");
        csv.ShouldContain("local/echo-1,1,");
        var hostile = await page.EvaluateAsync<string>("""
            async () => (await import("./usage.js")).toCsv("model", [{ group: "=HYPERLINK(\"http://x\")", requests: 1, cost_usd: -0.5 }, { group: "@SUM(A1)", requests: 2 }])
            """);
        hostile.ShouldContain("\"'=HYPERLINK(\"\"http://x\"\")\",1,"); // a formula cell is text, quoted
        hostile.ShouldContain(",-0.5");                                   // a negative number stays a number
        hostile.ShouldContain("'@SUM(A1),2,");
        await ScreenshotAsync(page, "usage-1280");

        // An async image from the playground, followed live on Jobs until it completes.
        await page.GetByRole(AriaRole.Link, new() { Name = "Playground" }).ClickAsync();
        await page.GetByLabel("Model", new() { Exact = true }).SelectOptionAsync("local/pixel-async-1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Generate" }).ClickAsync();
        var jobText = await page.GetByRole(AriaRole.Status).Filter(new() { HasTextRegex = JobIdPattern() }).First.TextContentAsync();
        var jobId = JobIdPattern().Match(jobText!).Value;
        await page.GetByRole(AriaRole.Link, new() { Name = "Jobs" }).ClickAsync();
        var jobRow = page.GetByRole(AriaRole.Row).Filter(new() { HasText = jobId });
        await Expect(jobRow).ToContainTextAsync("completed", new() { Timeout = 30_000 });
        await page.GetByRole(AriaRole.Link, new() { Name = jobId }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.List, new() { Name = "Status events" })).ToContainTextAsync("completed");
        await Expect(page.GetByRole(AriaRole.Img, new() { Name = "Result image 1" })).ToBeVisibleAsync();
        await ScreenshotAsync(page, "jobs-1280");

        // Revoke: the playground's key is refused from then on.
        await page.GetByRole(AriaRole.Link, new() { Name = "Keys" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Revoke {name}" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog, new() { Name = $"Revoke {name}?" }).GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(row).ToContainTextAsync("revoked");
        await page.GetByRole(AriaRole.Link, new() { Name = "Playground" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("401");

        _consoleErrors.ShouldBeEmpty();
    }

    [Theory]
    [InlineData(1280)]
    [InlineData(390)]
    public async Task Every_page_renders_at_desktop_and_phone_width_without_horizontal_scrolling(int width)
    {
        var page = await NewPageAsync(width, width < 600 ? ColorScheme.Dark : ColorScheme.Light);
        await SignInAsync(page);
        foreach (var name in Pages)
        {
            await page.GotoAsync(ConsoleUrl + "#/" + name);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync(char.ToUpperInvariant(name[0]) + name[1..]);
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
            overflow.ShouldBeLessThanOrEqualTo(0, $"{name} scrolls sideways at {width} px");
            await ScreenshotAsync(page, $"{name}-{width}");
        }

        // Every form control has a label (the basics an accessibility checker asks first).
        var unlabelled = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('input, select, textarea')]
              .filter(e => e.type !== 'hidden' && !e.labels?.length && !e.getAttribute('aria-label'))
              .map(e => e.outerHTML)
            """);
        unlabelled.ShouldBeEmpty();
        _consoleErrors.ShouldBeEmpty();
    }

    [GeneratedRegex("img_[0-9a-f]{32}")]
    private static partial Regex JobIdPattern();
}

using Microsoft.Playwright;

namespace CCApi.EndToEnd.Tests;

/// <summary>Debian's chromium, headless, for the browser tests (test.sh installs the package).</summary>
public static class Chromium
{
    public static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        var chromium = Environment.GetEnvironmentVariable("CCAPI_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";
        File.Exists(chromium).ShouldBeTrue($"Browser tests need Debian's chromium at {chromium} (test.sh installs the 'chromium' package).");
        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            // Root in a container needs --no-sandbox; the rest keeps chromium off the (closed) network at start.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }
}

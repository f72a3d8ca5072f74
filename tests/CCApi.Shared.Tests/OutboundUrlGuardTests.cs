using System.Net;
using CCApi.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CCApi.Shared.Tests;

public sealed class OutboundUrlGuardTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    [InlineData("fd00::1")]
    [InlineData("fd00:ec2::254")]
    [InlineData("::ffff:127.0.0.1")]
    public void Private_loopback_link_local_and_metadata_addresses_are_not_public(string address) =>
        OutboundUrlGuard.IsPublic(IPAddress.Parse(address)).ShouldBeFalse();

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("2606:4700:4700::1111")]
    public void Globally_routable_addresses_are_public(string address) =>
        OutboundUrlGuard.IsPublic(IPAddress.Parse(address)).ShouldBeTrue();

    [Theory]
    [InlineData("ftp://example.com/a.png", "http or https")]
    [InlineData("file:///etc/passwd", "http or https")]
    [InlineData("/relative/path", "http or https")] // on Unix an absolute path parses as a file: URI
    [InlineData("not a url", "absolute")]
    public void Only_absolute_http_urls_pass_the_syntax_check(string url, string problem) =>
        OutboundUrlGuard.ValidateSyntax(url)!.ShouldContain(problem);

    [Fact]
    public async Task Fetching_a_loopback_url_is_refused_after_resolution()
    {
        await using var server = await StartServerAsync();
        var guard = CreateGuard(allowPrivate: false);

        var ex = await Should.ThrowAsync<OutboundUrlException>(() => guard.FetchAsync($"http://localhost:{server.Port}/ok", CancellationToken.None));

        ex.Message.ShouldContain("non-public");
        server.Hits.ShouldBe(0);
    }

    [Fact]
    public async Task Fetching_respects_the_size_limit()
    {
        await using var server = await StartServerAsync();
        var guard = CreateGuard(allowPrivate: true, maxBytes: 2048);

        (await guard.FetchAsync($"http://127.0.0.1:{server.Port}/ok", CancellationToken.None)).Bytes.Length.ShouldBe(1000);
        var ex = await Should.ThrowAsync<OutboundUrlException>(() => guard.FetchAsync($"http://127.0.0.1:{server.Port}/big", CancellationToken.None));
        ex.Message.ShouldContain("larger than 2048");
    }

    [Fact]
    public async Task A_failing_upstream_status_is_reported()
    {
        await using var server = await StartServerAsync();
        var guard = CreateGuard(allowPrivate: true);

        var ex = await Should.ThrowAsync<OutboundUrlException>(() => guard.FetchAsync($"http://127.0.0.1:{server.Port}/missing", CancellationToken.None));

        ex.Message.ShouldContain("404");
    }

    private static OutboundUrlGuard CreateGuard(bool allowPrivate, long maxBytes = 1024 * 1024)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["OutboundUrls:AllowPrivateNetworks"] = allowPrivate.ToString();
        builder.Configuration["OutboundUrls:MaxBytes"] = maxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.AddServiceDefaults();
        return builder.Build().Services.GetRequiredService<OutboundUrlGuard>();
    }

    private static async Task<TestServer> StartServerAsync()
    {
        var port = CCApi.Testing.TestInfrastructure.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var server = new TestServer(app, port);
        app.MapGet("/ok", () => { server.Hits++; return Results.Bytes(new byte[1000], "image/png"); });
        app.MapGet("/big", () => { server.Hits++; return Results.Bytes(new byte[5000], "image/png"); });
        await app.StartAsync();
        return server;
    }

    private sealed class TestServer(WebApplication app, int port) : IAsyncDisposable
    {
        public int Port => port;
        public int Hits { get; set; }
        public ValueTask DisposeAsync() => app.DisposeAsync();
    }
}

using System.Net;
using CCApi.Outbound;
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
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::ffff:0.0.0.0")]
    [InlineData("127.1.2.3")]
    [InlineData("0.1.2.3")]
    [InlineData("192.0.2.1")]
    [InlineData("198.51.100.1")]
    [InlineData("203.0.113.5")]
    [InlineData("255.255.255.255")]
    [InlineData("::")]
    [InlineData("::127.0.0.1")] // IPv4-compatible IPv6 (deprecated): ::7f00:1
    [InlineData("::169.254.169.254")]
    [InlineData("::8.8.8.8")] // IPv4-compatible is never public, whatever it embeds
    [InlineData("64:ff9b::a9fe:a9fe")] // NAT64 of 169.254.169.254: the metadata service on a NAT64 network
    [InlineData("64:ff9b::127.0.0.1")]
    [InlineData("64:ff9b::10.0.0.1")]
    [InlineData("64:ff9b::192.168.0.1")]
    [InlineData("64:ff9b::0.0.0.0")]
    [InlineData("64:ff9b:1::a9fe:a9fe")] // local-use NAT64 (RFC 8215)
    [InlineData("64:ff9b:1:a9fe:a9:fe00::")]
    [InlineData("2002:7f00:1::1")] // 6to4 of 127.0.0.1
    [InlineData("2002:a9fe:a9fe::1")] // 6to4 of 169.254.169.254
    [InlineData("2002:0a00:0001::1")] // 6to4 of 10.0.0.1
    [InlineData("2002:c0a8:0101::1")] // 6to4 of 192.168.1.1
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2")] // Teredo
    [InlineData("2001::1")]
    [InlineData("2001:db8::1")]
    [InlineData("100::1")]
    [InlineData("fec0::1")]
    [InlineData("ff02::1")]
    public void Private_loopback_link_local_and_metadata_addresses_are_not_public(string address) =>
        OutboundUrlGuard.IsPublic(IPAddress.Parse(address)).ShouldBeFalse();

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("1.1.1.1")]
    [InlineData("64:ff9b::808:808")] // NAT64 of 8.8.8.8
    [InlineData("2002:808:808::1")] // 6to4 of 8.8.8.8
    [InlineData("2a00:1450:4001::1")]
    public void Globally_routable_addresses_are_public(string address) =>
        OutboundUrlGuard.IsPublic(IPAddress.Parse(address)).ShouldBeTrue();

    [Theory]
    [InlineData("ftp://example.com/a.png", "http or https")]
    [InlineData("file:///etc/passwd", "http or https")]
    [InlineData("/relative/path", "http or https")] // on Unix an absolute path parses as a file: URI
    [InlineData("not a url", "absolute")]
    [InlineData("http://example.com:65536/hook", "absolute")]
    [InlineData("http://[::1]:0/x", "port")]
    [InlineData("https://example.com:0/hook", "port")]
    [InlineData("https://user:secret@example.com/hook", "user name or password")]
    [InlineData("https://user@example.com/hook", "user name or password")]
    [InlineData("https://example.com/", "at most 8192 characters", 9000)]
    [InlineData("https://x.example.com/hook", "labels of at most 63", 64)]
    [InlineData("https://example.com/hook", "at most 253", 300)]
    public void Only_absolute_http_urls_pass_the_syntax_check(string url, string problem, int padding = 0) =>
        OutboundUrlGuard.ValidateSyntax(Pad(url, padding))!.ShouldContain(problem);

    /// <summary>Makes <paramref name="url"/> longer by <paramref name="padding"/>: its path, its first label, or (300) its host's labels.</summary>
    private static string Pad(string url, int padding) => padding switch
    {
        0 => url,
        64 => url.Replace("://x.", $"://{new string('x', 64)}.", StringComparison.Ordinal),
        300 => url.Replace("://", "://" + string.Concat(Enumerable.Repeat("abcdefghij.", 30)), StringComparison.Ordinal),
        _ => url + new string('a', padding),
    };

    [Theory]
    [InlineData("https://example.com/hooks/ccapi?tenant=7")]
    [InlineData("http://example.com:8080/x")]
    [InlineData("https://[2001:db8::1]:8443/x")]
    [InlineData("https://bücher.example/hook")]
    [InlineData("https://a23456789012345678901234567890123456789012345678901234567890123.example.com/x")] // a 63-character label
    public void Absolute_http_urls_with_a_host_and_port_pass_the_syntax_check(string url) =>
        OutboundUrlGuard.ValidateSyntax(url).ShouldBeNull();

    [Fact]
    public async Task Fetching_a_loopback_url_is_refused_after_resolution()
    {
        await using var server = await StartServerAsync();
        var guard = CreateGuard(allowPrivate: false);

        var ex = await Should.ThrowAsync<OutboundUrlException>(() => guard.FetchAsync($"http://localhost:{server.Port}/ok", CancellationToken.None));

        ex.Message.ShouldContain("non-public");
        server.Hits.ShouldBe(0);
    }

    [Theory]
    [InlineData("http://2130706433:{port}/ok")] // decimal 127.0.0.1
    [InlineData("http://0177.0.0.1:{port}/ok")] // octal
    [InlineData("http://0x7f.1:{port}/ok")] // hex, shortened
    [InlineData("http://0x7f000001:{port}/ok")]
    [InlineData("http://127.1:{port}/ok")]
    [InlineData("http://0.0.0.0:{port}/ok")] // unspecified: connects to loopback on Linux
    [InlineData("http://0:{port}/ok")]
    [InlineData("http://[::]:{port}/ok")]
    [InlineData("http://[::1]:{port}/ok")]
    [InlineData("http://[::ffff:127.0.0.1]:{port}/ok")] // IPv4-mapped
    [InlineData("http://[::127.0.0.1]:{port}/ok")] // IPv4-compatible
    [InlineData("http://[64:ff9b::7f00:1]:{port}/ok")] // NAT64
    [InlineData("http://[64:ff9b::a9fe:a9fe]:{port}/ok")]
    [InlineData("http://[64:ff9b:1::a9fe:a9fe]:{port}/ok")]
    [InlineData("http://[2002:7f00:1::1]:{port}/ok")] // 6to4
    [InlineData("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]:{port}/ok")] // Teredo
    [InlineData("http://[fe80::1]:{port}/ok")]
    public async Task Every_address_form_of_a_non_public_host_is_refused_by_the_guard_before_connecting(string url)
    {
        await using var server = await StartServerAsync();
        var guard = CreateGuard(allowPrivate: false);

        var ex = await Should.ThrowAsync<OutboundUrlException>(() =>
            guard.FetchAsync(url.Replace("{port}", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), CancellationToken.None));

        ex.Message.ShouldContain("non-public");
        server.Hits.ShouldBe(0);
    }

    [Theory]
    [InlineData("http://169.254.169.254:{port}/latest")]
    [InlineData("http://[::ffff:169.254.169.254]:{port}/latest")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]:{port}/latest")]
    [InlineData("http://[64:ff9b:1::a9fe:a9fe]:{port}/latest")]
    [InlineData("http://[2002:a9fe:a9fe::1]:{port}/latest")]
    [InlineData("http://[::169.254.169.254]:{port}/latest")]
    [InlineData("http://169.254.0.1:{port}/latest")]
    [InlineData("http://100.100.100.200:{port}/latest")]
    [InlineData("http://[fd00:ec2::254]:{port}/latest")]
    [InlineData("http://[fe80::1]:{port}/latest")]
    public async Task Link_local_and_metadata_addresses_stay_refused_when_private_networks_are_allowed(string url)
    {
        var connected = false;
        var ex = await Should.ThrowAsync<OutboundUrlException>(async () => await OutboundUrlGuard.ConnectCheckedAsync(
            new Uri(url.Replace("{port}", "80", StringComparison.Ordinal)).Host, 80, allowPrivateNetworks: true,
            (_, _) => Task.FromResult(Array.Empty<IPAddress>()),
            (_, _, _) => { connected = true; return ValueTask.FromResult(0); },
            CancellationToken.None));

        ex.Message.ShouldContain("non-public");
        connected.ShouldBeFalse();
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("10.1.2.3")]
    [InlineData("192.168.1.20")]
    [InlineData("172.17.0.2")]
    [InlineData("100.64.0.1")]
    [InlineData("fd12:3456::1")]
    public async Task Loopback_and_private_addresses_pass_when_private_networks_are_allowed(string address)
    {
        var connected = await OutboundUrlGuard.ConnectCheckedAsync(
            address, 80, allowPrivateNetworks: true,
            (_, _) => Task.FromResult(Array.Empty<IPAddress>()),
            (addresses, _, _) => ValueTask.FromResult(addresses),
            CancellationToken.None);

        connected.ShouldBe([IPAddress.Parse(address)]);
    }

    [Fact]
    public async Task A_redirect_is_not_followed_so_it_cannot_lead_to_a_private_address()
    {
        await using var server = await StartServerAsync();
        var guard = CreateGuard(allowPrivate: true); // lets the first hop through, to show no second hop is made

        var ex = await Should.ThrowAsync<OutboundUrlException>(() => guard.FetchAsync($"http://127.0.0.1:{server.Port}/redirect", CancellationToken.None));

        ex.Message.ShouldContain("302");
        server.Hits.ShouldBe(0);
    }

    [Fact]
    public async Task The_address_connected_is_the_address_checked_even_when_DNS_answers_change()
    {
        var lookups = 0;
        IPAddress[][] answers = [[IPAddress.Parse("1.1.1.1")], [IPAddress.Loopback], [IPAddress.Parse("169.254.169.254")]];
        var connected = new List<IPAddress>();

        var result = await OutboundUrlGuard.ConnectCheckedAsync(
            "rebinding.example", 80, allowPrivateNetworks: false,
            (_, _) => Task.FromResult(answers[Math.Min(lookups++, answers.Length - 1)]),
            (addresses, _, _) => { connected.AddRange(addresses); return ValueTask.FromResult("connected"); },
            CancellationToken.None);

        result.ShouldBe("connected");
        lookups.ShouldBe(1);
        connected.ShouldHaveSingleItem().ShouldBe(IPAddress.Parse("1.1.1.1"));
    }

    [Fact]
    public async Task Non_public_addresses_in_a_mixed_DNS_answer_are_never_connected()
    {
        IPAddress[] answer = [IPAddress.Loopback, IPAddress.Parse("10.0.0.1"), IPAddress.Parse("::ffff:169.254.169.254"),
            IPAddress.Parse("64:ff9b::a9fe:a9fe"), IPAddress.Parse("1.1.1.1"), IPAddress.IPv6Any];
        var connected = new List<IPAddress>();

        await OutboundUrlGuard.ConnectCheckedAsync("mixed.example", 80, allowPrivateNetworks: false,
            (_, _) => Task.FromResult(answer),
            (addresses, _, _) => { connected.AddRange(addresses); return ValueTask.FromResult(0); },
            CancellationToken.None);

        connected.ShouldHaveSingleItem().ShouldBe(IPAddress.Parse("1.1.1.1"));
    }

    [Fact]
    public async Task A_DNS_answer_with_only_non_public_addresses_is_refused_without_a_connect()
    {
        var connects = 0;

        var ex = await Should.ThrowAsync<OutboundUrlException>(() => OutboundUrlGuard.ConnectCheckedAsync("metadata.example", 80, allowPrivateNetworks: false,
            (_, _) => Task.FromResult<IPAddress[]>([IPAddress.Parse("169.254.169.254"), IPAddress.Parse("2002:a9fe:a9fe::1")]),
            (_, _, _) => { connects++; return ValueTask.FromResult(0); },
            CancellationToken.None).AsTask());

        ex.Message.ShouldContain("non-public");
        connects.ShouldBe(0);
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

    [Fact]
    public async Task A_body_trickled_past_the_timeout_is_refused_at_the_timeout()
    {
        // HttpClient's own timeout ends with the headers when the body is streamed: the body must be bounded too.
        await using var server = await StartServerAsync();
        var guard = CreateGuard(allowPrivate: true, timeout: TimeSpan.FromSeconds(1));

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Should.ThrowAsync<OutboundUrlException>(() => guard.FetchAsync($"http://127.0.0.1:{server.Port}/trickle", CancellationToken.None));

        ex.Message.ShouldContain("took longer than 1 s");
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20)); // the server would hold it for 60
    }

    [Fact]
    public async Task A_connection_cut_mid_body_is_a_refusal_of_the_url_not_an_unknown_failure()
    {
        await using var server = await StartServerAsync();
        var guard = CreateGuard(allowPrivate: true);

        var ex = await Should.ThrowAsync<OutboundUrlException>(() => guard.FetchAsync($"http://127.0.0.1:{server.Port}/cut", CancellationToken.None));

        ex.Message.ShouldStartWith("Fetching the URL failed");
    }

    [Fact]
    public async Task The_callers_own_cancellation_stays_a_cancellation()
    {
        await using var server = await StartServerAsync();
        var guard = CreateGuard(allowPrivate: true, timeout: TimeSpan.FromSeconds(30));
        using var caller = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        await Should.ThrowAsync<OperationCanceledException>(() => guard.FetchAsync($"http://127.0.0.1:{server.Port}/trickle", caller.Token));
    }

    private static OutboundUrlGuard CreateGuard(bool allowPrivate, long maxBytes = 1024 * 1024, TimeSpan? timeout = null)
    {
        var builder = Host.CreateApplicationBuilder();
        if (timeout is { } limit)
        {
            builder.Configuration["OutboundUrls:Timeout"] = limit.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        }

        builder.Configuration["OutboundUrls:AllowPrivateNetworks"] = allowPrivate.ToString();
        builder.Configuration["OutboundUrls:MaxBytes"] = maxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.AddOutboundUrlGuard();
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
        app.MapGet("/redirect", () => Results.Redirect($"http://127.0.0.1:{port}/ok"));
        app.MapGet("/trickle", async (HttpContext http) =>
        {
            // Headers at once, then a byte a second: each read succeeds, the whole never ends in time.
            http.Response.ContentType = "image/png";
            http.Response.ContentLength = 60;
            for (var i = 0; i < 60 && !http.RequestAborted.IsCancellationRequested; i++)
            {
                await http.Response.Body.WriteAsync(new byte[1]);
                await http.Response.Body.FlushAsync();
                await Task.Delay(1000, http.RequestAborted).ContinueWith(_ => { });
            }
        });
        app.MapGet("/cut", async (HttpContext http) =>
        {
            http.Response.ContentType = "image/png";
            http.Response.ContentLength = 5000;
            await http.Response.Body.WriteAsync(new byte[100]);
            await http.Response.Body.FlushAsync();
            await Task.Delay(300); // the headers and the first bytes reach the client before the cut
            http.Abort();
        });
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

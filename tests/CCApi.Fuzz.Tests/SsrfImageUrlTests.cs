namespace CCApi.Fuzz.Tests;

/// <summary>
/// Issue 11, SSRF through image URLs, end to end: a client's image URL (<c>contents[i].image.url</c>, fetched by the
/// adapter) naming a loopback, private, link-local, metadata, unspecified or otherwise non-public address — in every
/// spelling: decimal, octal and hex IPv4, short forms, IPv4-mapped and -compatible IPv6, NAT64, 6to4 — is answered 400
/// naming the field, by the outbound URL guard before any connect (its message says so), and a listener on every local
/// address on that port never sees a connection. The platform does not allow private networks (the default).
/// </summary>
public sealed class SsrfImageUrlTests(FuzzPlatform platform) : FuzzTest(platform)
{
    /// <summary>Hosts as a client would write them in a URL; those on loopback reach the listener if ever connected to.</summary>
    public static readonly string[] Hosts =
    [
        // loopback, IPv4 spellings
        "127.0.0.1", "127.0.0.2", "127.1", "127.0.1", "2130706433", "0x7f000001", "0x7f.0.0.1", "0177.0.0.1", "017700000001",
        "0177.0.0.01", "localhost", "LOCALHOST",
        // unspecified
        "0.0.0.0", "0", "[::]",
        // loopback, IPv6 spellings
        "[::1]", "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[0:0:0:0:0:ffff:127.0.0.1]", "[::127.0.0.1]",
        // NAT64 and 6to4 carrying loopback or the metadata address
        "[64:ff9b::127.0.0.1]", "[64:ff9b::7f00:1]", "[64:ff9b::a9fe:a9fe]", "[64:ff9b:1::a9fe:a9fe]", "[2002:7f00:1::1]", "[2002:a9fe:a9fe::1]",
        // link-local and the metadata service, IPv4 spellings and mapped
        "169.254.169.254", "2852039166", "0xa9fea9fe", "0251.0376.0251.0376", "0xa9.0xfe.0xa9.0xfe", "[::ffff:169.254.169.254]", "[::ffff:a9fe:a9fe]",
        // IPv6 link-local, unique local (fd00:ec2::254 is a metadata address), private and CGNAT IPv4
        "[fe80::1]", "[fc00::1]", "[fd00:ec2::254]", "10.0.0.1", "172.16.0.1", "192.168.1.1", "100.64.0.1",
    ];

    [Fact]
    public async Task An_image_url_on_any_non_public_address_is_refused_with_400_naming_the_field_and_never_connected_to()
    {
        await using var listener = new ConnectionCounter();
        using var client = Platform.CreateClient();
        var wrong = new List<string>();

        foreach (var host in Hosts)
        {
            var url = $"http://{host}:{listener.Port}/image.png";
            var body = $$$"""{"model":"local/pixel-1","contents":[{"text":"ssrf","image":{"url":"{{{url}}}"}}],"parameters":{"width":64,"height":64}}""";
            using var response = await client.PostAsync("/v1/images/generate", Json(body));
            var text = await response.Content.ReadAsStringAsync();
            var error = response.StatusCode == HttpStatusCode.BadRequest ? JsonNode.Parse(text)?["error"] : null;
            var param = (string?)error?["details"]?["param"];
            var message = (string?)error?["message"] ?? "";
            // Refused by the guard itself (before any connect), or already at the edge for a URL that is not one.
            var refused = message.Contains("non-public address", StringComparison.Ordinal) || message.Contains("must ", StringComparison.Ordinal);
            if (param is null || !param.StartsWith("contents[0].image", StringComparison.Ordinal) || !refused)
            {
                wrong.Add($"{url}: HTTP {(int)response.StatusCode} {text}");
            }
        }

        await Task.Delay(TimeSpan.FromMilliseconds(500)); // a connection made late would still be counted
        wrong.ShouldBeEmpty($"{wrong.Count} of {Hosts.Length} image URLs were not refused as non-public:\n" + string.Join("\n", wrong));
        listener.Connections.ShouldBe(0, "an image URL reached the loopback listener");
    }
}

using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace CCApi.Outbound;

/// <summary>
/// Fetches and posts to URLs taken from users (<c>image.url</c>, <c>webhook_url</c>) safely: http(s) only, and never to
/// loopback, private, link-local, CGNAT or metadata addresses — checked on the address actually connected to, after DNS
/// resolution, so a hostname cannot smuggle a private address past the check. Size and time are bounded.
/// </summary>
public sealed class OutboundUrlGuard(IOptions<OutboundUrlOptions> options, IHttpClientFactory httpClientFactory)
{
    public const string HttpClientName = "ccapi-outbound";

    private readonly OutboundUrlOptions _options = options.Value;

    public HttpClient CreateClient()
    {
        var client = httpClientFactory.CreateClient(HttpClientName);
        client.Timeout = _options.Timeout;
        return client;
    }

    /// <summary>The longest URL taken from a client: room for a presigned storage URL, not for megabytes stored and retried.</summary>
    public const int MaxUrlLength = 8192;

    /// <summary>
    /// Syntactic check, for 400s at the edge: an absolute http(s) URL of at most <see cref="MaxUrlLength"/> characters
    /// with a host DNS could resolve (at most 253 characters, labels of at most 63), a port that can be connected to, and
    /// no user name or password (HttpClient sends none of them, so they would only be stored and logged with the URL).
    /// </summary>
    public static string? ValidateSyntax(string url)
    {
        if (url.Length > MaxUrlLength)
        {
            return $"must be at most {MaxUrlLength} characters";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return "must be an absolute URL";
        }

        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            return "must use http or https";
        }

        if (string.IsNullOrEmpty(uri.Host))
        {
            return "must name a host";
        }

        if (uri.HostNameType is UriHostNameType.Dns or UriHostNameType.Basic && (uri.IdnHost.Length > 253 || uri.IdnHost.Split('.').Any(label => label.Length > 63)))
        {
            return "must name a host of at most 253 characters with labels of at most 63";
        }

        if (uri.Port == 0)
        {
            return "must name a port from 1 to 65535";
        }

        return uri.UserInfo.Length > 0 ? "must not carry a user name or password" : null;
    }

    /// <summary>
    /// Downloads at most <see cref="OutboundUrlOptions.MaxBytes"/> within <see cref="OutboundUrlOptions.Timeout"/> — headers
    /// and body together (HttpClient's own timeout ends at the headers when the body is streamed, so a server trickling
    /// bytes would otherwise hold the caller as long as it liked); throws <see cref="OutboundUrlException"/> on any refusal
    /// or failure of the fetch, a connection cut mid-body included.
    /// </summary>
    public async Task<(byte[] Bytes, string? ContentType)> FetchAsync(string url, CancellationToken cancellationToken)
    {
        if (ValidateSyntax(url) is { } problem)
        {
            throw new OutboundUrlException($"URL {problem}.");
        }

        using var client = CreateClient();
        var callerToken = cancellationToken;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
        timeout.CancelAfter(_options.Timeout);
        cancellationToken = timeout.Token;
        try
        {
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new OutboundUrlException($"Fetching the URL answered HTTP {(int)response.StatusCode}.");
            }

            if (response.Content.Headers.ContentLength > _options.MaxBytes)
            {
                throw new OutboundUrlException($"The resource is larger than {_options.MaxBytes} bytes.");
            }

            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > _options.MaxBytes)
                {
                    throw new OutboundUrlException($"The resource is larger than {_options.MaxBytes} bytes.");
                }

                buffer.Write(chunk, 0, read);
            }

            return (buffer.ToArray(), response.Content.Headers.ContentType?.MediaType);
        }
        catch (HttpRequestException ex) when (ex.InnerException is OutboundUrlException blocked)
        {
            throw blocked;
        }
        catch (HttpRequestException ex)
        {
            throw new OutboundUrlException($"Fetching the URL failed: {ex.Message}");
        }
        catch (IOException ex)
        {
            throw new OutboundUrlException($"Fetching the URL failed: {ex.Message}"); // e.g. the connection closed mid-body
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !callerToken.IsCancellationRequested)
        {
            throw new OutboundUrlException($"Fetching the URL took longer than {_options.Timeout.TotalSeconds:0} s.");
        }
    }

    internal SocketsHttpHandler CreateHandler() => new()
    {
        UseProxy = false, // a proxy would be the address checked, not the target
        AllowAutoRedirect = false, // never followed: a 3xx is a refusal, so no hop can lead past the check below
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = async (context, cancellationToken) => await ConnectCheckedAsync(
            context.DnsEndPoint.Host, context.DnsEndPoint.Port, _options.AllowPrivateNetworks,
            Dns.GetHostAddressesAsync, ConnectSocketAsync, cancellationToken),
    };

    /// <summary>
    /// Resolves <paramref name="host"/> once, keeps only the addresses allowed, and connects to exactly those: the
    /// address checked is the address connected, so a DNS answer that changes between check and connect (rebinding)
    /// changes nothing. Refuses, before any connect, when no address is allowed.
    /// </summary>
    public static async ValueTask<TConnection> ConnectCheckedAsync<TConnection>(
        string host,
        int port,
        bool allowPrivateNetworks,
        Func<string, CancellationToken, Task<IPAddress[]>> resolve,
        Func<IPAddress[], int, CancellationToken, ValueTask<TConnection>> connect,
        CancellationToken cancellationToken)
    {
        // An address literal is judged as it is (the resolver would refuse some, such as 0.0.0.0, with its own error).
        var addresses = IPAddress.TryParse(host.AsSpan().Trim("[]"), out var literal) ? [literal] : await resolve(host, cancellationToken);
        var allowed = addresses.Where(a => IsPublic(a) || (allowPrivateNetworks && !IsLinkLocalOrMetadata(a))).ToArray();
        if (allowed.Length == 0)
        {
            throw new OutboundUrlException($"The host '{host}' resolves to a loopback, private or otherwise non-public address.");
        }

        return await connect(allowed, port, cancellationToken);
    }

    private static async ValueTask<Stream> ConnectSocketAsync(IPAddress[] addresses, int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// True for globally routable unicast addresses only. IPv6 forms that carry an IPv4 address (IPv4-mapped, NAT64
    /// 64:ff9b::/96, 6to4 2002::/16) are judged by that IPv4 address; IPv4-compatible ::a.b.c.d, local-use NAT64
    /// 64:ff9b:1::/48, Teredo 2001::/32 and everything outside global unicast 2000::/3 are never public.
    /// </summary>
    public static bool IsPublic(IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        var length = Bytes(address, b);
        if (length == 4)
        {
            return IsPublicIPv4(b[..4]);
        }

        if (length != 16)
        {
            return false;
        }

        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B)
        {
            // NAT64: the well-known /96 reaches the IPv4 address in its last 32 bits (64:ff9b::a9fe:a9fe is the
            // metadata service on a NAT64 network); the local-use 64:ff9b:1::/48 (RFC 8215) and the rest are not public.
            return b.Slice(4, 8).IndexOfAnyExcept((byte)0) < 0 && IsPublicIPv4(b.Slice(12, 4));
        }

        if ((b[0] & 0xE0) != 0x20)
        {
            // Outside global unicast 2000::/3: ::, ::1, IPv4-compatible ::a.b.c.d, 100::/64, fc00::/7 (fd00:ec2::254
            // is AWS's metadata service), fe80::/10, fec0::/10, ff00::/8…
            return false;
        }

        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return IsPublicIPv4(b.Slice(2, 4)); // 6to4: 2002:AABB:CCDD::/48 reaches A.B.C.D
        }

        // IETF protocol assignments 2001::/23, Teredo 2001::/32 among them (its tunnel reaches an IPv4 address it
        // hides); documentation 2001:db8::/32.
        return !((b[0] == 0x20 && b[1] == 0x01 && b[2] <= 0x01)
            || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8));
    }

    /// <summary>
    /// Link-local addresses (169.254.0.0/16, fe80::/10) and the cloud metadata services (169.254.169.254 among them,
    /// AWS's fd00:ec2::254, Alibaba's 100.100.100.200), in every IPv6 form that carries an IPv4 address: refused even when
    /// private networks are allowed (<see cref="OutboundUrlOptions.AllowPrivateNetworks"/>, for a receiver or emulator on
    /// this machine or network), since nothing a developer runs lives there and a credentials service may.
    /// </summary>
    public static bool IsLinkLocalOrMetadata(IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        var length = Bytes(address, b);
        if (length == 4)
        {
            return IsLinkLocalOrMetadataIPv4(b[..4]);
        }

        if (length != 16)
        {
            return true;
        }

        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && IsLinkLocalOrMetadataIPv4(b.Slice(12, 4)))
        {
            return true; // NAT64, well-known or local-use prefix, of such an IPv4 address
        }

        if ((b[0] == 0x20 && b[1] == 0x02 && IsLinkLocalOrMetadataIPv4(b.Slice(2, 4))) // 6to4
            || (b[..12].IndexOfAnyExcept((byte)0) < 0 && IsLinkLocalOrMetadataIPv4(b.Slice(12, 4)))) // IPv4-compatible ::a.b.c.d
        {
            return true;
        }

        return (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) // fe80::/10
            || address.Equals(AwsMetadataIPv6);
    }

    private static readonly IPAddress AwsMetadataIPv6 = IPAddress.Parse("fd00:ec2::254");

    /// <summary>Writes the address's bytes (an IPv4-mapped IPv6 address as its IPv4 one): 4, 16, or 0 when it cannot.</summary>
    private static int Bytes(IPAddress address, Span<byte> bytes)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return address.TryWriteBytes(bytes, out var length) ? length : 0;
    }

    private static bool IsLinkLocalOrMetadataIPv4(ReadOnlySpan<byte> b) =>
        (b[0] == 169 && b[1] == 254) || (b[0] == 100 && b[1] == 100 && b[2] == 100 && b[3] == 200);

    private static bool IsPublicIPv4(ReadOnlySpan<byte> b) =>
        !(b[0] == 10
            || b[0] == 0                                     // "this network", 0.0.0.0 (connects to loopback on Linux)
            || b[0] == 127
            || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)   // CGNAT
            || (b[0] == 169 && b[1] == 254)                  // link-local, cloud metadata
            || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 192 && b[1] == 0 && b[2] == 0)       // IETF protocol assignments
            || (b[0] == 192 && b[1] == 0 && b[2] == 2)       // documentation (TEST-NET-1)
            || (b[0] == 192 && b[1] == 88 && b[2] == 99)     // 6to4 relay anycast
            || (b[0] == 198 && (b[1] == 18 || b[1] == 19))   // benchmarking
            || (b[0] == 198 && b[1] == 51 && b[2] == 100)    // documentation (TEST-NET-2)
            || (b[0] == 203 && b[1] == 0 && b[2] == 113)     // documentation (TEST-NET-3)
            || b[0] >= 224);                                 // multicast, reserved, broadcast
}

using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CCApi.ServiceDefaults;

public sealed class OutboundUrlOptions
{
    public const string SectionName = "OutboundUrls";

    /// <summary>Largest body fetched from a user-supplied URL.</summary>
    [Range(1024, 256L * 1024 * 1024)]
    public long MaxBytes { get; set; } = 20 * 1024 * 1024;

    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Lets user-supplied URLs reach loopback and private addresses. For local development and tests only:
    /// in production this must stay false (design §3).
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }
}

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

    /// <summary>Syntactic check, for 400s at the edge: absolute http(s) URL with a host.</summary>
    public static string? ValidateSyntax(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return "must be an absolute URL";
        }

        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            return "must use http or https";
        }

        return string.IsNullOrEmpty(uri.Host) ? "must name a host" : null;
    }

    /// <summary>Downloads at most <see cref="OutboundUrlOptions.MaxBytes"/>; throws <see cref="OutboundUrlException"/> on any refusal.</summary>
    public async Task<(byte[] Bytes, string? ContentType)> FetchAsync(string url, CancellationToken cancellationToken)
    {
        if (ValidateSyntax(url) is { } problem)
        {
            throw new OutboundUrlException($"URL {problem}.");
        }

        using var client = CreateClient();
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
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OutboundUrlException($"Fetching the URL took longer than {_options.Timeout.TotalSeconds:0} s.");
        }
    }

    internal SocketsHttpHandler CreateHandler() => new()
    {
        UseProxy = false, // a proxy would be the address checked, not the target
        AllowAutoRedirect = false, // a redirect could point anywhere; the connect check would still hold, but keep it simple
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = async (context, cancellationToken) =>
        {
            var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
            var allowed = addresses.Where(a => _options.AllowPrivateNetworks || IsPublic(a)).ToArray();
            if (allowed.Length == 0)
            {
                throw new OutboundUrlException($"The host '{context.DnsEndPoint.Host}' resolves to a loopback, private or otherwise non-public address.");
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>True for globally routable unicast addresses only.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 10
                || b[0] == 0
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)   // CGNAT
                || (b[0] == 169 && b[1] == 254)                  // link-local, cloud metadata
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 192 && b[1] == 0 && b[2] == 0)       // IETF protocol assignments
                || (b[0] == 198 && (b[1] == 18 || b[1] == 19))   // benchmarking
                || b[0] >= 224);                                 // multicast, reserved, broadcast
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                || (b[0] & 0xFE) == 0xFC                          // unique local fc00::/7
                || (b[0] == 0xFD && b[1] == 0x00 && b[2] == 0x0E && b[3] == 0xC2)); // AWS metadata fd00:ec2::
        }

        return false;
    }
}

public sealed class OutboundUrlException(string message) : Exception(message);

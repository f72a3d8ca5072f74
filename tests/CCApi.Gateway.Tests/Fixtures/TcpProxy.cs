using System.Net.Sockets;

namespace CCApi.Gateway.Tests.Fixtures;

/// <summary>
/// A TCP relay on 127.0.0.1 to one upstream (here: the tests' Redis), so a test can take "Redis" away from one gateway
/// host — <see cref="Cut"/> closes every relayed connection and stops listening — while the others keep theirs.
/// </summary>
public sealed class TcpProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _upstreamHost;
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _cut = new();
    private readonly List<TcpClient> _connections = [];

    public TcpProxy(string upstream)
    {
        upstream = upstream.Split(',')[0];
        var colon = upstream.LastIndexOf(':');
        _upstreamHost = upstream[..colon];
        _upstreamPort = int.Parse(upstream[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        _listener.Start();
        _ = AcceptAsync();
    }

    /// <summary>"127.0.0.1:port" to connect to instead of the upstream.</summary>
    public string Endpoint => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Closes every relayed connection and refuses new ones, as if the upstream had died.</summary>
    public void Cut()
    {
        _cut.Cancel();
        _listener.Stop();
        lock (_connections)
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }
        }
    }

    public void Dispose()
    {
        if (!_cut.IsCancellationRequested)
        {
            Cut();
        }

        _listener.Dispose();
        _cut.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (!_cut.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_cut.Token);
                var upstream = new TcpClient();
                await upstream.ConnectAsync(_upstreamHost, _upstreamPort, _cut.Token);
                lock (_connections)
                {
                    _connections.Add(client);
                    _connections.Add(upstream);
                }

                _ = PumpAsync(client, upstream);
                _ = PumpAsync(upstream, client);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // cut
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream(), _cut.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // either side closed, or cut
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }
}

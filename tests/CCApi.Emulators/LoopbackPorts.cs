using System.Net;
using System.Net.Sockets;

namespace CCApi.Emulators;

/// <summary>
/// Loopback ports for the processes and listeners tests start, handed out so that no two of them get the same one. A
/// port asked of the kernel (bind to 0) is free only at that instant: until the service binds it, an outgoing connection
/// or another test process asking the same way may take it — test assemblies run side by side, each starting a dozen
/// services. So ports come from below the kernel's ephemeral range (which starts at 32768; nothing takes them
/// implicitly) and away from RabbitMQ's distribution ports (AMQP port + 20000), and each is claimed by a lock file under
/// the temp folder that this process holds until it exits (an advisory lock the kernel drops with the process).
/// </summary>
public static class LoopbackPorts
{
    private const int RangeStart = 12_000;
    private const int RangeEnd = 24_000;

    private static readonly Lock Gate = new();
    private static readonly List<FileStream> Claims = [];
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), "ccapi-test-ports");

    /// <summary>A port nothing listens on and no other caller on this machine was given.</summary>
    public static int Claim() => ClaimBlock(1);

    /// <summary>The first of <paramref name="count"/> consecutive ports, each free and claimed (run.sh uses a block).</summary>
    public static int ClaimBlock(int count)
    {
        Directory.CreateDirectory(Folder);
        lock (Gate)
        {
            for (var attempt = 0; attempt < 500; attempt++)
            {
                var start = Random.Shared.Next(RangeStart, RangeEnd - count);
                var claims = new List<FileStream>(count);
                for (var port = start; port < start + count && TryClaim(port) is { } claim; port++)
                {
                    claims.Add(claim);
                }

                if (claims.Count == count)
                {
                    Claims.AddRange(claims);
                    return start;
                }

                claims.ForEach(c => c.Dispose());
            }
        }

        throw new InvalidOperationException($"No {count} free consecutive loopback port(s) between {RangeStart} and {RangeEnd}.");
    }

    private static FileStream? TryClaim(int port)
    {
        FileStream claim;
        try
        {
            // FileShare.None is an exclusive advisory lock on Unix: a second holder, in this process or another, fails.
            claim = new FileStream(Path.Combine(Folder, $"{port}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        if (IsFree(port))
        {
            return claim;
        }

        claim.Dispose();
        return null;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace CCApi.Adapters.Local.Audio;

/// <summary>An external program failed: not installed, exited non-zero, or ran past its timeout.</summary>
public sealed class ExternalToolException(string tool, string message, bool missing = false) : Exception(message)
{
    public string Tool { get; } = tool;
    public bool Missing { get; } = missing;
}

/// <summary>
/// Runs a program with an argument LIST (never through a shell, so nothing a client sends is ever parsed as a
/// command), feeding stdin and collecting stdout concurrently (no pipe deadlock), bounded by a timeout after which the
/// process tree is killed.
/// </summary>
public static class ExternalTool
{
    private const int MaxStderr = 2000;

    public static async Task<byte[]> RunAsync(string path, IReadOnlyList<string> arguments, ReadOnlyMemory<byte> stdin, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var tool = Path.GetFileName(path);
        var info = new ProcessStartInfo(path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new ExternalToolException(tool, $"{tool} is not installed or not executable ({ex.Message}).", missing: true);
        }

        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutCts.CancelAfter(timeout);
        var token = timeoutCts.Token;
        try
        {
            var stdout = new MemoryStream();
            var readOut = process.StandardOutput.BaseStream.CopyToAsync(stdout, token);
            var readErr = ReadCappedAsync(process.StandardError.BaseStream, token);
            var write = WriteInputAsync(process.StandardInput.BaseStream, stdin, token);

            await Task.WhenAll(readOut, readErr, write).ConfigureAwait(false);
            await process.WaitForExitAsync(token).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                var detail = (await readErr).Trim();
                throw new ExternalToolException(tool, $"{tool} exited with code {process.ExitCode}{(detail.Length > 0 ? ": " + detail : "")}");
            }

            return stdout.ToArray();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Kill(process);
            throw new ExternalToolException(tool, $"{tool} did not finish within {timeout.TotalSeconds:0.#} s.");
        }
        catch
        {
            Kill(process);
            throw;
        }
    }

    /// <summary>True when <paramref name="path"/> names an existing file, directly or through PATH.</summary>
    public static bool Exists(string path)
    {
        if (path.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return File.Exists(path);
        }

        var directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return directories.Any(d => File.Exists(Path.Combine(d, path)));
    }

    private static async Task WriteInputAsync(Stream stdin, ReadOnlyMemory<byte> input, CancellationToken token)
    {
        try
        {
            await stdin.WriteAsync(input, token).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // the program closed its input early (it failed, or needs no more): its exit code tells the rest
        }
        finally
        {
            try
            {
                await stdin.DisposeAsync().ConfigureAwait(false);
            }
            catch (IOException)
            {
                // broken pipe on close: same as above
            }
        }
    }

    private static async Task<string> ReadCappedAsync(Stream stream, CancellationToken token)
    {
        var buffer = new byte[4096];
        var kept = new MemoryStream();
        int read;
        while ((read = await stream.ReadAsync(buffer, token).ConfigureAwait(false)) > 0)
        {
            if (kept.Length < MaxStderr)
            {
                kept.Write(buffer, 0, (int)Math.Min(read, MaxStderr - kept.Length));
            }
        }

        return Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length);
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }
}

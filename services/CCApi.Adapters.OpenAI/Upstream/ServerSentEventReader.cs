using System.Text;

namespace CCApi.Adapters.OpenAI.Upstream;

/// <summary>
/// The <c>text/event-stream</c> framing OpenAI streams with: events separated by a blank line, payload in <c>data:</c>
/// lines (several are joined with "\n"), comment lines (<c>:</c>) and other fields ignored. Each read must finish within
/// the idle timeout, or the stream counts as stalled (<see cref="TimeoutException"/>).
/// </summary>
public sealed class ServerSentEventReader(Stream stream, TimeSpan idleTimeout) : IDisposable
{
    private readonly StreamReader _reader = new(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 4096, leaveOpen: true);

    public void Dispose() => _reader.Dispose();

    /// <summary>The next event's data, or null at the end of the stream.</summary>
    public async Task<string?> ReadDataAsync(CancellationToken cancellationToken)
    {
        StringBuilder? data = null;
        while (true)
        {
            string? line;
            using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                idle.CancelAfter(idleTimeout);
                try
                {
                    line = await _reader.ReadLineAsync(idle.Token);
                }
                catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"The stream was silent for {idleTimeout}.", ex);
                }
            }

            if (line is null)
            {
                return data?.ToString();
            }

            if (line.Length == 0)
            {
                if (data is not null)
                {
                    return data.ToString();
                }

                continue;
            }

            if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                var value = line.AsSpan(5);
                if (value.Length > 0 && value[0] == ' ')
                {
                    value = value[1..];
                }

                if (data is null)
                {
                    data = new StringBuilder(value.Length).Append(value);
                }
                else
                {
                    data.Append('\n').Append(value);
                }
            }

            // ":" comments (keep-alives), "event:", "id:", "retry:" carry nothing the chat stream needs
        }
    }
}

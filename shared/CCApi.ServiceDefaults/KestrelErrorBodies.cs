using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace CCApi.ServiceDefaults;

/// <summary>
/// Gives the responses Kestrel writes by itself — a request it rejects while parsing the request line or headers (bad
/// bytes, <c>%00</c> in the path, no Host), 414, 431, 505, a request-line timeout — the CCAPI error object as their body.
/// </summary>
/// <remarks>
/// ASP.NET Core has no hook for these: they are answered before any middleware runs, as an empty response with
/// <c>Content-Length: 0</c> and <c>Connection: close</c>. This connection middleware watches what the HTTP layer writes
/// to the transport and replaces exactly that header block (its status line followed by those two headers, which is how
/// Kestrel frames a rejected request) with the same headers plus a JSON body. Every other write passes through
/// untouched after a comparison of its first bytes.
/// </remarks>
public static class KestrelErrorBodies
{
    /// <summary>Adds the rewrite to every Kestrel endpoint (those from <c>Urls</c> included).</summary>
    public static void Configure(KestrelServerOptions kestrel) =>
        kestrel.ConfigureEndpointDefaults(listen => listen.Use(next => async connection =>
        {
            var transport = connection.Transport;
            connection.Transport = new DuplexPipe(transport.Input, new ErrorBodyWriter(transport.Output));
            try
            {
                await next(connection);
            }
            finally
            {
                connection.Transport = transport;
            }
        }));

    private static ReadOnlySpan<byte> StatusPrefix => "HTTP/1.1 "u8;

    private static ReadOnlySpan<byte> EmptyClose => "\r\nContent-Length: 0\r\nConnection: close\r\n"u8;

    /// <summary>The replacement for a Kestrel-written empty error response, or null when <paramref name="written"/> is not one.</summary>
    public static byte[]? Rewrite(ReadOnlySpan<byte> written)
    {
        if (written.Length < StatusPrefix.Length + 3 || !written.StartsWith(StatusPrefix))
        {
            return null;
        }

        var codeBytes = written.Slice(StatusPrefix.Length, 3);
        if (codeBytes[0] is not ((byte)'4' or (byte)'5') || !char.IsAsciiDigit((char)codeBytes[1]) || !char.IsAsciiDigit((char)codeBytes[2]))
        {
            return null;
        }

        var lineEnd = written.IndexOf("\r\n"u8);
        if (lineEnd < 0 || !written[lineEnd..].StartsWith(EmptyClose))
        {
            return null;
        }

        var headEnd = written.IndexOf("\r\n\r\n"u8);
        if (headEnd < 0 || headEnd + 4 != written.Length)
        {
            return null; // not one whole header block with nothing after it
        }

        var status = (codeBytes[0] - '0') * 100 + (codeBytes[1] - '0') * 10 + (codeBytes[2] - '0');
        var body = Encoding.UTF8.GetBytes(Body(status));
        var rest = written[(lineEnd + EmptyClose.Length)..(headEnd + 2)]; // the remaining headers (Date, Server), each ending in CRLF
        var head = $"\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n";

        var output = new ArrayBufferWriter<byte>(written.Length + head.Length + body.Length);
        output.Write(written[..lineEnd]);
        output.Write(Encoding.ASCII.GetBytes(head));
        output.Write(rest);
        output.Write("\r\n"u8);
        output.Write(body);
        return output.WrittenSpan.ToArray();
    }

    private static string Body(int status)
    {
        var (code, message) = status switch
        {
            400 => (ErrorCodes.InvalidRequest, "The request is not valid HTTP/1.1 (request line, header name or value, or body framing); it was refused before reaching the API."),
            408 => (ErrorCodes.Timeout, "The request headers were not received in time."),
            413 => (ErrorCodes.PayloadTooLarge, "The request body is too large."),
            414 => (ErrorCodes.InvalidRequest, "The request target (path and query) is too long."),
            431 => (ErrorCodes.InvalidRequest, "The request headers are too large."),
            505 => (ErrorCodes.InvalidRequest, "The HTTP version is not supported; use HTTP/1.1."),
            _ => (status >= 500 ? ErrorCodes.InternalError : ErrorCodes.InvalidRequest, $"HTTP {status}."),
        };
        var type = status >= 500 && status != 505 ? ErrorTypes.Api : ErrorTypes.InvalidRequest;
        return System.Text.Json.JsonSerializer.Serialize(new ApiException(status, type, code, message).ToResponse(), ErrorJsonContext.Relaxed.ErrorResponse);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    /// <summary>Passes every write through, except a Kestrel error response, which it writes with a body instead.</summary>
    private sealed class ErrorBodyWriter(PipeWriter inner) : PipeWriter
    {
        private Memory<byte> _last;

        public override Memory<byte> GetMemory(int sizeHint = 0) => _last = inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => (_last = inner.GetMemory(sizeHint)).Span;

        public override void Advance(int bytes)
        {
            // Cheap test first: only a write that starts a 4xx/5xx status line is looked at further.
            if (bytes > StatusPrefix.Length + 3 && bytes <= _last.Length)
            {
                var written = _last.Span[..bytes];
                if (written[StatusPrefix.Length] is (byte)'4' or (byte)'5' && Rewrite(written) is { } replacement)
                {
                    inner.Write(replacement); // the region handed out was never advanced: it is simply reused
                    return;
                }
            }

            inner.Advance(bytes);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;
    }
}

using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace CCApi.Gateway.Idempotency;

/// <summary>
/// Stands in for the response body while an idempotent request's result is written, and records what is written (up
/// to a cap). Ordinary responses are held back until <see cref="FinishAsync"/> — so the response is saved before the
/// client can see its end and retry — while a result that disables buffering (a server-sent event stream) is teed: each
/// write reaches the client at once and is recorded on the way. A body larger than the cap switches to pass-through and
/// is marked <see cref="Overflowed"/> (nothing of it is saved).
/// </summary>
public sealed class RecordingResponseStream(IHttpResponseBodyFeature inner, int cap) : Stream, IHttpResponseBodyFeature
{
    private MemoryStream? _recorded = new();
    private byte[]? _backlog; // held bytes that must reach the client before anything else, once passing through
    private PipeWriter? _writer;
    private bool _passThrough;

    /// <summary>The body exceeded the cap: it went to the client but was not recorded.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>The body went to the client as it was written (a teed stream, or past the cap), not held back.</summary>
    public bool PassedThrough => _passThrough;

    /// <summary>Everything written, when it fit under the cap.</summary>
    public byte[]? Recorded => Overflowed ? null : _recorded?.ToArray();

    Stream IHttpResponseBodyFeature.Stream => this;

    public PipeWriter Writer => _writer ??= PipeWriter.Create(this, new StreamPipeWriterOptions(leaveOpen: true));

    public void DisableBuffering()
    {
        inner.DisableBuffering();
        SwitchToPassThrough();
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_passThrough)
        {
            await SendBacklogAsync(cancellationToken);
            await inner.StartAsync(cancellationToken);
        }
    }

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
        SendFileFallback.SendFileAsync(this, path, offset, count, cancellationToken);

    public async Task CompleteAsync()
    {
        if (_writer is not null)
        {
            await _writer.FlushAsync();
        }

        if (_passThrough)
        {
            await SendBacklogAsync(CancellationToken.None);
            await inner.CompleteAsync();
        }
    }

    /// <summary>Flushes the pipe writer (if a result used it) so that everything written has been recorded.</summary>
    public async Task FlushWriterAsync(CancellationToken cancellationToken)
    {
        if (_writer is not null)
        {
            await _writer.FlushAsync(cancellationToken);
        }
    }

    /// <summary>Sends what was held back (when the body was teed, only what may still wait).</summary>
    public async Task FinishAsync(CancellationToken cancellationToken)
    {
        if (!_passThrough && _recorded is { Length: > 0 } held)
        {
            await inner.Stream.WriteAsync(held.GetBuffer().AsMemory(0, (int)held.Length), cancellationToken);
        }

        await SendBacklogAsync(cancellationToken);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Record(buffer.Span))
        {
            await SendBacklogAsync(cancellationToken);
            await inner.Stream.WriteAsync(buffer, cancellationToken);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (Record(buffer))
        {
            if (_backlog is { } backlog)
            {
                _backlog = null;
                inner.Stream.Write(backlog);
            }

            inner.Stream.Write(buffer);
        }
    }

    /// <summary>Records <paramref name="data"/>; true when it must also go to the client now.</summary>
    private bool Record(ReadOnlySpan<byte> data)
    {
        if (!Overflowed && _recorded!.Length + data.Length <= cap)
        {
            _recorded.Write(data);
            return _passThrough;
        }

        if (!Overflowed)
        {
            Overflowed = true;
            SwitchToPassThrough(); // too large to hold back: what was held goes out first, then everything passes through
            _recorded = null;
        }

        return true;
    }

    private void SwitchToPassThrough()
    {
        if (!_passThrough)
        {
            _passThrough = true;
            if (_recorded is { Length: > 0 } held)
            {
                _backlog = held.ToArray();
            }
        }
    }

    private async ValueTask SendBacklogAsync(CancellationToken cancellationToken)
    {
        if (_backlog is { } backlog)
        {
            _backlog = null;
            await inner.Stream.WriteAsync(backlog, cancellationToken);
        }
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_passThrough)
        {
            await SendBacklogAsync(cancellationToken);
            await inner.Stream.FlushAsync(cancellationToken);
        }
    }

    public override void Flush()
    {
        if (_passThrough)
        {
            inner.Stream.Flush();
        }
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

using System.Buffers;
using CCApi.Storage;

namespace CCApi.Adapters.Hosting;

/// <summary>Reading a provider's response body as it arrives (a body sent progressively, e.g. speech audio).</summary>
public static class UpstreamBodies
{
    /// <summary>
    /// Reads the body as it comes, handing each read (at most <see cref="SpeechChunks.MaxChunkBytes"/>) to
    /// <paramref name="relay"/> before the next; returns the whole body. A body silent for <paramref name="idleTimeout"/>
    /// throws <see cref="TimeoutException"/>; a cut one the client's <see cref="HttpRequestException"/> or <see cref="IOException"/>.
    /// </summary>
    public static async Task<byte[]> RelayAsync(HttpResponseMessage response, SpeechAudioRelay relay, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(relay);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var whole = new MemoryStream();
        var buffer = ArrayPool<byte>.Shared.Rent(SpeechChunks.MaxChunkBytes);
        try
        {
            while (true)
            {
                int read;
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    idle.CancelAfter(idleTimeout);
                    try
                    {
                        read = await stream.ReadAsync(buffer.AsMemory(0, SpeechChunks.MaxChunkBytes), idle.Token);
                    }
                    catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
                    {
                        throw new TimeoutException($"No data for {idleTimeout.TotalSeconds:0.#} s.", ex);
                    }
                }

                if (read == 0)
                {
                    return whole.ToArray();
                }

                whole.Write(buffer, 0, read);
                await relay(buffer.AsMemory(0, read));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

using CCApi.Storage;

namespace CCApi.Testing.Adapters;

/// <summary>Reads a speech job's relayed audio (<see cref="SpeechChunks"/>) as the gateway would, checking the pieces' order.</summary>
public static class SpeechChunkReader
{
    /// <summary>
    /// The pieces of a subscription until <paramref name="bytes"/> bytes have come, checking each starts where the last
    /// ended (the first at <paramref name="from"/>); fails after 15 s without them.
    /// </summary>
    public static async Task<byte[]> TakeAsync(NoticeSubscription<SpeechChunk> chunks, int bytes, int from = 0)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var audio = new List<byte>();
        while (audio.Count < bytes)
        {
            var chunk = await chunks.Reader.ReadAsync(timeout.Token);
            chunk.Offset.ShouldBe(from + audio.Count);
            audio.AddRange(Convert.FromBase64String(chunk.Base64));
        }

        return [.. audio];
    }
}

using System.Buffers;
using System.IO.Compression;
using System.Numerics;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Text.Unicode;

namespace CCApi.Gateway.Credits;

/// <summary>
/// Counts o200k_base tokens (GPT-4o's encoding) exactly as tiktoken does — the pre-tokenizing regex, byte-pair merges by
/// rank (lowest first, leftmost on ties), <c>&lt;|endoftext|&gt;</c> and <c>&lt;|endofprompt|&gt;</c> as one token each —
/// but only counts: it keeps the 200k-entry vocabulary as one byte array, offsets and an open-addressing table (about
/// 5 MiB) where Microsoft.ML.Tokenizers' <c>TiktokenTokenizer</c> keeps an encoder, a decoder and a string vocabulary
/// (about 66 MiB of RSS measured, 40 MiB of it managed heap: half the gateway's memory budget). The vocabulary file is the
/// one Microsoft ships in <c>Microsoft.ML.Tokenizers.Data.O200kBase</c>; the tests check the counts against
/// <c>TiktokenTokenizer</c> on text of every kind. Merging is a heap over the parts for long pieces, so a hostile run of
/// one letter costs O(n log n), not O(n²).
/// </summary>
public sealed partial class O200kTokenCounter
{
    /// <summary>tiktoken's o200k_base pattern (openai_public.py), as Microsoft.ML.Tokenizers uses it.</summary>
    private const string Pattern =
        @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private const string VocabularyAssembly = "Microsoft.ML.Tokenizers.Data.O200kBase";
    private const string VocabularyResource = "o200k_base.tiktoken.deflate";

    /// <summary>Pieces up to this many bytes merge by scanning (no allocation); longer ones through a heap.</summary>
    private const int ScanLimit = 128;

    /// <summary>Pieces longer than this (in chars) are counted a chunk at a time when counting up to a limit (<see cref="CountLongPiece"/>).</summary>
    private const int ChunkChars = 8192;

    /// <summary>How many of a long piece's last distinct chunks <see cref="CountLongPiece"/> compares each chunk with.</summary>
    private const int RememberedChunks = 16;

    private static readonly string[] SpecialTokens = ["<|endoftext|>", "<|endofprompt|>"];

    private readonly byte[] _bytes;   // every token's bytes, back to back, in file order
    private readonly int[] _starts;   // entry i is _bytes[_starts[i].._starts[i + 1]], and its rank is i
    private readonly int[] _table;    // open addressing on the bytes' hash: entry index + 1, 0 = empty
    private readonly int _mask;
    private readonly int _longest;    // the most bytes of any token: a piece of n bytes is at least n / _longest tokens

    private O200kTokenCounter(byte[] bytes, int[] starts)
    {
        _bytes = bytes;
        _starts = starts;
        var entries = starts.Length - 1;
        _table = new int[(int)BitOperations.RoundUpToPowerOf2((uint)entries * 2)];
        _mask = _table.Length - 1;
        for (var i = 0; i < entries; i++)
        {
            _longest = Math.Max(_longest, starts[i + 1] - starts[i]);
            var slot = Hash(Entry(i)) & _mask;
            while (_table[slot] != 0)
            {
                slot = (slot + 1) & _mask;
            }

            _table[slot] = i + 1;
        }
    }

    /// <summary>
    /// The o200k_base vocabulary from the data package (~0.1 s; load once). Two passes over the file: the first sizes
    /// the arrays, the second fills them. One pass into growing buffers left ~3.6 MB of discarded arrays on the large
    /// object heap, where the free space stays committed (issue 10's memory budget). Every rank is its entry's line
    /// number in the file, so no rank array is kept (0.8 MB less); a file ranked otherwise is refused.
    /// </summary>
    public static O200kTokenCounter Load()
    {
        var (entries, length) = (0, 0);
        foreach (var (token, _) in ReadVocabulary())
        {
            entries++;
            length += DecodedLength(token);
        }

        var bytes = new byte[length];
        var starts = new int[entries + 1];
        var i = 0;
        foreach (var (token, rank) in ReadVocabulary())
        {
            if (rank != i)
            {
                throw new InvalidOperationException($"{VocabularyResource} ranks its line {i} {rank}; the counter needs ranks in line order.");
            }

            if (i == entries || !Convert.TryFromBase64Chars(token, bytes.AsSpan(starts[i]), out var written))
            {
                throw ReadDifferently();
            }

            starts[i + 1] = starts[i] + written;
            i++;
        }

        return i == entries && starts[i] == length
            ? new O200kTokenCounter(bytes, starts)
            : throw ReadDifferently();

        static InvalidOperationException ReadDifferently() => new($"{VocabularyResource} read differently the second time.");
    }

    /// <summary>
    /// The vocabulary file's tokens (base64) and ranks. Microsoft's packed form: a "Capacity: N" line, then one base64
    /// token per line whose rank is its line number (tiktoken's own files say "base64 rank" on each line; both are read).
    /// </summary>
    private static IEnumerable<(string Token, int Rank)> ReadVocabulary()
    {
        using var resource = Assembly.Load(VocabularyAssembly).GetManifestResourceStream(VocabularyResource)
            ?? throw new InvalidOperationException($"{VocabularyAssembly} has no resource {VocabularyResource}.");
        using var reader = new StreamReader(new DeflateStream(resource, CompressionMode.Decompress), Encoding.ASCII);
        var index = 0;
        while (reader.ReadLine() is { Length: > 0 } line)
        {
            if (line.StartsWith("Capacity:", StringComparison.Ordinal))
            {
                continue;
            }

            var space = line.IndexOf(' ');
            yield return space < 0
                ? (line, index)
                : (line[..space], int.Parse(line.AsSpan(space + 1), System.Globalization.CultureInfo.InvariantCulture));
            index++;
        }
    }

    /// <summary>The bytes a base64 string decodes to: three per four characters, less one per '=' of padding.</summary>
    private static int DecodedLength(string base64) =>
        (base64.Length / 4 * 3) - (base64.EndsWith("==", StringComparison.Ordinal) ? 2 : base64.EndsWith('=') ? 1 : 0);

    /// <summary>
    /// The number of tokens tiktoken's o200k_base encodes <paramref name="text"/> into (special tokens allowed); with
    /// <paramref name="stopAfter"/>, counting stops at the first pre-tokenized piece that takes the count past it (the
    /// result is then more than <paramref name="stopAfter"/>, not the whole text's count), so a limit check of a hostile
    /// text costs the tokens up to the limit, not the text's.
    /// </summary>
    public int Count(string text, int stopAfter = int.MaxValue)
    {
        var count = 0;
        var rest = text.AsSpan();
        while (rest.Length > 0 && count <= stopAfter)
        {
            var (at, length) = NextSpecialToken(rest);
            count += CountOrdinary(rest[..at], stopAfter - count);
            if (length == 0 || count > stopAfter)
            {
                break;
            }

            count++;
            rest = rest[(at + length)..];
        }

        return count;
    }

    /// <summary>
    /// The first special token in <paramref name="text"/>: one forward scan for "&lt;|" (every special token starts so),
    /// so a text full of them costs linear time, not a search of the whole rest per token found.
    /// </summary>
    private static (int At, int Length) NextSpecialToken(ReadOnlySpan<char> text)
    {
        var from = 0;
        while (text[from..].IndexOf("<|", StringComparison.Ordinal) is >= 0 and var found)
        {
            var at = from + found;
            foreach (var special in SpecialTokens)
            {
                if (text[at..].StartsWith(special, StringComparison.Ordinal))
                {
                    return (at, special.Length);
                }
            }

            from = at + 1;
        }

        return (text.Length, 0);
    }

    private int CountOrdinary(ReadOnlySpan<char> text, int stopAfter)
    {
        var count = 0;
        byte[]? rented = null;
        Span<byte> buffer = stackalloc byte[256];
        foreach (var match in PreTokenizer().EnumerateMatches(text))
        {
            var piece = text.Slice(match.Index, match.Length);
            if (count + ((piece.Length + _longest - 1) / _longest) > stopAfter)
            {
                // Past the limit whatever its merges (at least one byte per char): a hostile run of one letter is one
                // piece, and merging it would cost what the limit exists to spare.
                count += (piece.Length + _longest - 1) / _longest;
                break;
            }

            if (stopAfter != int.MaxValue && piece.Length > ChunkChars)
            {
                count += CountLongPiece(piece, stopAfter - count);
                if (count > stopAfter)
                {
                    break;
                }

                continue;
            }

            var needed = Encoding.UTF8.GetMaxByteCount(piece.Length);
            if (needed > buffer.Length)
            {
                if (rented is not null)
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }

                rented = ArrayPool<byte>.Shared.Rent(needed);
                buffer = rented;
            }

            count += CountPiece(buffer[..ToUtf8(piece, buffer)]);
            if (count > stopAfter)
            {
                break;
            }
        }

        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return count;
    }

    /// <summary>
    /// UTF-8, except that a lone surrogate is written as its own three bytes, not as U+FFFD, as Microsoft.ML.Tokenizers
    /// does: counts stay equal to the reference's on any string a client sends.
    /// </summary>
    private static int ToUtf8(ReadOnlySpan<char> text, Span<byte> buffer)
    {
        var total = 0;
        while (true)
        {
            var status = Utf8.FromUtf16(text, buffer[total..], out var read, out var written, replaceInvalidSequences: false);
            total += written;
            if (status != OperationStatus.InvalidData)
            {
                return total;
            }

            var lone = text[read];
            buffer[total++] = (byte)(0xE0 | (lone >> 12));
            buffer[total++] = (byte)(0x80 | ((lone >> 6) & 0x3F));
            buffer[total++] = (byte)(0x80 | (lone & 0x3F));
            text = text[(read + 1)..];
        }
    }

    /// <summary>
    /// A piece longer than <see cref="ChunkChars"/> counted against a limit: encoded and merged a chunk at a time,
    /// stopping once past the limit, so one hostile "word" of megabytes costs about the limit's worth of work, not the
    /// piece's (merging a 4-million-letter piece whole took seconds of CPU). Tokens cannot cross a chunk's edge here, so
    /// the sum is an estimate: one token per edge is taken off for the token the whole piece may merge across it, which
    /// keeps it within a fraction of a percent of the exact count (the tests). A chunk equal to one counted before in the
    /// piece (a run of one character, a short pattern repeated: the cheapest hostile prompts to write and the dearest to
    /// merge) takes that count again instead of being merged. Without a limit the piece is merged whole.
    /// </summary>
    private int CountLongPiece(ReadOnlySpan<char> piece, int budget)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(ChunkChars));
        Span<CountedChunk> counted = stackalloc CountedChunk[RememberedChunks];
        try
        {
            var (count, at, remembered) = (0, 0, 0);
            while (at < piece.Length && count <= budget)
            {
                var take = Math.Min(ChunkChars, piece.Length - at);
                if (at + take < piece.Length && char.IsHighSurrogate(piece[at + take - 1]))
                {
                    take--; // a surrogate pair stays whole
                }

                var chunk = piece.Slice(at, take);
                var hash = string.GetHashCode(chunk);
                var tokens = -1;
                foreach (var earlier in counted[..Math.Min(remembered, RememberedChunks)])
                {
                    if (earlier.Hash == hash && piece.Slice(earlier.At, earlier.Length).SequenceEqual(chunk))
                    {
                        tokens = earlier.Tokens;
                        break;
                    }
                }

                if (tokens < 0)
                {
                    tokens = CountPiece(buffer.AsSpan(0, ToUtf8(chunk, buffer)));
                    counted[remembered++ % RememberedChunks] = new(hash, at, take, tokens);
                }

                count += tokens - (at == 0 ? 0 : 1);
                at += take;
            }

            return count;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A chunk of a long piece already merged: where it is in the piece, and its tokens.</summary>
    private readonly record struct CountedChunk(int Hash, int At, int Length, int Tokens);

    private int CountPiece(ReadOnlySpan<byte> piece)
    {
        if (piece.Length == 1 || Rank(piece) >= 0)
        {
            return 1;
        }

        return piece.Length <= ScanLimit ? MergeByScan(piece) : MergeByHeap(piece);
    }

    /// <summary>tiktoken's byte_pair_merge: the lowest-ranked adjacent pair merges first (the leftmost of equals).</summary>
    private int MergeByScan(ReadOnlySpan<byte> piece)
    {
        // Part k is piece[starts[k]..starts[k + 1]]; pairRank[k] ranks part k joined with part k + 1 (int.MaxValue: no token).
        var parts = piece.Length;
        Span<int> starts = stackalloc int[parts + 1];
        Span<int> pairRank = stackalloc int[parts];
        for (var k = 0; k <= parts; k++)
        {
            starts[k] = k;
        }

        for (var k = 0; k < parts - 1; k++)
        {
            pairRank[k] = RankOrMax(piece[k..(k + 2)]);
        }

        while (parts > 1)
        {
            var best = 0;
            for (var k = 1; k < parts - 1; k++)
            {
                if (pairRank[k] < pairRank[best])
                {
                    best = k;
                }
            }

            if (pairRank[best] == int.MaxValue)
            {
                break;
            }

            // Part best absorbs part best + 1: its start boundary and its pair rank go.
            starts[(best + 2)..(parts + 1)].CopyTo(starts[(best + 1)..]);
            pairRank[(best + 1)..(parts - 1)].CopyTo(pairRank[best..]);
            parts--;
            pairRank[best] = best + 1 < parts ? RankOrMax(piece[starts[best]..starts[best + 2]]) : int.MaxValue;
            if (best > 0)
            {
                pairRank[best - 1] = RankOrMax(piece[starts[best - 1]..starts[best + 1]]);
            }
        }

        return parts;
    }

    /// <summary>
    /// The same merge order for long pieces: parts in a linked list (named by their start), each part's pair rank with its
    /// right neighbour in <c>pairRank</c>, and candidate pairs in a binary min-heap of <c>(rank &lt;&lt; 32) | start</c>, so
    /// the lowest rank comes first and the leftmost of equals. A popped pair is current exactly when its rank is still the
    /// part's pair rank: a rank names one byte string, so a changed neighbour (a longer span) has another rank. That check
    /// needs no lookup, and the heap's keys compare as one long: 2–3× faster than a <see cref="PriorityQueue{TElement,TPriority}"/>
    /// of (rank, start) that re-ranked each pair it popped — this loop is what a hostile one-word prompt costs.
    /// </summary>
    private int MergeByHeap(ReadOnlySpan<byte> piece)
    {
        const int Absorbed = -1;
        var n = piece.Length;
        var next = ArrayPool<int>.Shared.Rent(n);     // next part's start (n: none)
        var prev = ArrayPool<int>.Shared.Rent(n);
        var pairRank = ArrayPool<int>.Shared.Rent(n); // int.MaxValue: no token; Absorbed: the part is gone
        var heap = ArrayPool<long>.Shared.Rent(2 * n); // n - 1 pairs to start with, and each merge adds at most one
        try
        {
            var size = 0;
            for (var k = 0; k < n; k++)
            {
                next[k] = k + 1;
                prev[k] = k - 1;
                pairRank[k] = k + 1 < n ? RankOrMax(piece[k..(k + 2)]) : int.MaxValue;
                if (pairRank[k] != int.MaxValue)
                {
                    heap[size++] = Key(pairRank[k], k);
                }
            }

            for (var i = (size / 2) - 1; i >= 0; i--)
            {
                SiftDown(heap, size, i);
            }

            var parts = n;
            while (size > 0)
            {
                var key = heap[0];
                heap[0] = heap[--size];
                SiftDown(heap, size, 0);
                var start = (int)key;
                if (pairRank[start] != (int)(key >> 32))
                {
                    continue; // stale: the part is gone or its span changed since this pair was ranked
                }

                var absorbed = next[start];
                pairRank[absorbed] = Absorbed;
                var after = next[absorbed];
                next[start] = after;
                if (after < n)
                {
                    prev[after] = start;
                }

                parts--;
                pairRank[start] = after < n ? RankOrMax(piece[start..next[after]]) : int.MaxValue;
                if (pairRank[start] != int.MaxValue)
                {
                    Push(heap, ref size, Key(pairRank[start], start));
                }

                if (prev[start] is >= 0 and var before)
                {
                    pairRank[before] = RankOrMax(piece[before..after]);
                    if (pairRank[before] != int.MaxValue)
                    {
                        Push(heap, ref size, Key(pairRank[before], before));
                    }
                }
            }

            return parts;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(next);
            ArrayPool<int>.Shared.Return(prev);
            ArrayPool<int>.Shared.Return(pairRank);
            ArrayPool<long>.Shared.Return(heap);
        }

        static long Key(int rank, int start) => ((long)rank << 32) | (uint)start;
    }

    private static void Push(long[] heap, ref int size, long key)
    {
        var i = size++;
        while (i > 0 && heap[(i - 1) / 2] > key)
        {
            heap[i] = heap[(i - 1) / 2];
            i = (i - 1) / 2;
        }

        heap[i] = key;
    }

    private static void SiftDown(long[] heap, int size, int i)
    {
        var key = heap[i];
        while (2 * i + 1 < size)
        {
            var child = 2 * i + 1;
            if (child + 1 < size && heap[child + 1] < heap[child])
            {
                child++;
            }

            if (heap[child] >= key)
            {
                break;
            }

            heap[i] = heap[child];
            i = child;
        }

        heap[i] = key;
    }

    private int RankOrMax(ReadOnlySpan<byte> bytes) => Rank(bytes) is >= 0 and var rank ? rank : int.MaxValue;

    private int Rank(ReadOnlySpan<byte> bytes)
    {
        var slot = Hash(bytes) & _mask;
        while (_table[slot] is var entry and not 0)
        {
            if (Entry(entry - 1).SequenceEqual(bytes))
            {
                return entry - 1;
            }

            slot = (slot + 1) & _mask;
        }

        return -1;
    }

    private ReadOnlySpan<byte> Entry(int index) => _bytes.AsSpan(_starts[index], _starts[index + 1] - _starts[index]);

    private static int Hash(ReadOnlySpan<byte> bytes)
    {
        var hash = new HashCode();
        hash.AddBytes(bytes);
        return hash.ToHashCode();
    }

    [GeneratedRegex(Pattern)]
    private static partial Regex PreTokenizer();
}

using System.Globalization;

namespace CCApi.Gateway.Credits;

/// <summary>A Redis stream entry id, "ms-seq", ordered as Redis orders them (the ledger's two streams are merged by it).</summary>
public readonly record struct StreamId(long Ms, long Seq) : IComparable<StreamId>
{
    public static bool TryParse(string? text, out StreamId id)
    {
        id = default;
        if (text is null)
        {
            return false;
        }

        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (!long.TryParse(dash < 0 ? text : text[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            return false;
        }

        var seq = 0L;
        if (dash >= 0 && !long.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out seq))
        {
            return false;
        }

        id = new StreamId(ms, seq);
        return true;
    }

    /// <summary>An id Redis gave (never malformed); an unreadable one sorts first.</summary>
    public static StreamId Parse(string text) => TryParse(text, out var id) ? id : default;

    public int CompareTo(StreamId other) => Ms != other.Ms ? Ms.CompareTo(other.Ms) : Seq.CompareTo(other.Seq);

    public static bool operator <(StreamId left, StreamId right) => left.CompareTo(right) < 0;

    public static bool operator <=(StreamId left, StreamId right) => left.CompareTo(right) <= 0;

    public static bool operator >(StreamId left, StreamId right) => left.CompareTo(right) > 0;

    public static bool operator >=(StreamId left, StreamId right) => left.CompareTo(right) >= 0;

    public override string ToString() => $"{Ms}-{Seq}";
}

using System.Text.Json;

namespace CCApi.Testing;

/// <summary>Reads the JSON-lines span files that <c>Telemetry:SpanFile</c> makes a service write (JsonLinesSpanExporter).</summary>
public static class SpanFiles
{
    /// <summary>The spans of one trace in <paramref name="file"/> so far (none when the file does not exist yet).</summary>
    public static List<JsonElement> Read(string file, string traceId)
    {
        var result = new List<JsonElement>();
        if (!File.Exists(file))
        {
            return result;
        }

        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                var span = JsonSerializer.Deserialize<JsonElement>(line);
                if (span.GetProperty("trace_id").GetString() == traceId)
                {
                    result.Add(span);
                }
            }
            catch (JsonException)
            {
                // a line being written right now
            }
        }

        return result;
    }
}

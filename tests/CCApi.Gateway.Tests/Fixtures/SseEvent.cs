namespace CCApi.Gateway.Tests.Fixtures;

/// <summary>One server-sent event of a chat stream as a client sees it: its id (the stream position) and its data.</summary>
public sealed record SseEvent(string? Id, string Data)
{
    public JsonNode Json => JsonNode.Parse(Data)!;

    /// <summary>Splits a text/event-stream body into its events, joining multi-line data as a client does.</summary>
    public static List<SseEvent> ParseAll(string body)
    {
        var events = new List<SseEvent>();
        foreach (var block in body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string? id = null;
            var data = new StringBuilder();
            foreach (var line in block.Split('\n'))
            {
                if (line.StartsWith("id: ", StringComparison.Ordinal))
                {
                    id = line[4..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data.Append(line[6..]);
                }
            }

            events.Add(new SseEvent(id, data.ToString()));
        }

        return events;
    }
}

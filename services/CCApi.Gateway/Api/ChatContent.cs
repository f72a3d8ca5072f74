using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace CCApi.Gateway.Api;

/// <summary>
/// What a chat request's content-part arrays hold, read once per request (the parts travel as raw JSON,
/// <see cref="ChatMessage.ContentPartsJson"/>): the text parts' text, the images, and the parts the gateway does not model.
/// The window check (<see cref="ChatContextWindow"/>), the credit reservation and the TPM estimate count from it, so an
/// inline image's base64 is never counted as text, and the model checks refuse an image or audio part for a model whose
/// catalog <c>input_modalities</c> lack it.
/// </summary>
public sealed class ChatContent(IReadOnlyList<string> texts, IReadOnlyList<string> otherParts, int images, long imageBytes, string? firstImage, string? firstAudio)
{
    private static readonly ChatContent None = new([], [], 0, 0, null, null);

    // One request's messages list → its summary, for as long as the list lives (failover candidates, reservation and
    // TPM estimate all ask). Keyed by the list, so a plan copied with other messages never reads a stale summary.
    private static readonly ConditionalWeakTable<IReadOnlyList<ChatMessage>, ChatContent> Cache = [];

    /// <summary>The <c>text</c> of every <c>text</c> part, in order.</summary>
    public IReadOnlyList<string> Texts { get; } = texts;

    /// <summary>The raw JSON of every part that is neither text nor an image (<c>input_audio</c>, <c>file</c>, <c>refusal</c>…).</summary>
    public IReadOnlyList<string> OtherParts { get; } = otherParts;

    /// <summary>How many <c>image_url</c> parts there are.</summary>
    public int Images { get; } = images;

    /// <summary>The UTF-8 bytes of the <c>image_url</c> parts' JSON: at least as many as the tokens they could be read as.</summary>
    public long ImageBytes { get; } = imageBytes;

    /// <summary>The field of the first <c>image_url</c> part's type, e.g. <c>messages[1].content[0].type</c>.</summary>
    public string? FirstImage { get; } = firstImage;

    /// <summary>The field of the first <c>input_audio</c> part's type.</summary>
    public string? FirstAudio { get; } = firstAudio;

    /// <summary>Characters of <see cref="Texts"/> and <see cref="OtherParts"/>.</summary>
    public long TextCharacters => Texts.Sum(t => (long)t.Length) + OtherParts.Sum(p => (long)p.Length);

    /// <summary>The messages' characters as sent: string content, content parts' JSON, tool calls' names and arguments.</summary>
    public static long RawCharacters(IReadOnlyList<ChatMessage> messages)
    {
        long characters = 0;
        foreach (var message in messages)
        {
            characters += (message.Content?.Length ?? 0) + (message.ContentPartsJson?.Length ?? 0);
            foreach (var call in message.ToolCalls ?? [])
            {
                characters += call.Name.Length + call.Arguments.Length;
            }
        }

        return characters;
    }

    public static ChatContent Of(IReadOnlyList<ChatMessage> messages)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i].ContentPartsJson is not null)
            {
                return Cache.GetValue(messages, Read);
            }
        }

        return None; // string contents only: nothing to read, every request of the kind shares this
    }

    private static ChatContent Read(IReadOnlyList<ChatMessage> messages)
    {
        var texts = new List<string>();
        var others = new List<string>();
        var images = 0;
        long imageBytes = 0;
        string? firstImage = null, firstAudio = null;
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i].ContentPartsJson is not { } json)
            {
                continue;
            }

            // ChatRequestValidator lets only an array of part objects with a string type through; anything else is counted
            // as text, whole.
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                others.Add(json);
                continue;
            }

            var j = 0;
            foreach (var part in document.RootElement.EnumerateArray())
            {
                var type = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
                    ? t.GetString()
                    : null;
                switch (type)
                {
                    case "text" when part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String:
                        texts.Add(text.GetString()!);
                        break;
                    case "image_url":
                        images++;
                        imageBytes += JsonMarshal.GetRawUtf8Value(part).Length; // no copy of a megabyte of base64
                        firstImage ??= $"messages[{i}].content[{j}].type";
                        break;
                    default:
                        if (type == "input_audio")
                        {
                            firstAudio ??= $"messages[{i}].content[{j}].type";
                        }

                        others.Add(part.GetRawText());
                        break;
                }

                j++;
            }
        }

        return new ChatContent(texts, others, images, imageBytes, firstImage, firstAudio);
    }
}

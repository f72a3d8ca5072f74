using System.Buffers;
using System.Text.Json;
using CCApi.Contracts;
using CCApi.ServiceDefaults;

namespace CCApi.Adapters.OpenAI.Upstream;

/// <summary>
/// The body of POST /chat/completions from a <see cref="ChatCompletion"/> command. Fields the platform models are
/// written from the command; every other OpenAI parameter the client sent (<see cref="ChatCompletion.ExtraParametersJson"/>)
/// is copied into the body untouched — except that a modeled field always wins over an extra of the same name.
/// </summary>
public static class ChatRequestWriter
{
    public static byte[] Write(ChatCompletion command, bool stream)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            var written = new HashSet<string>(StringComparer.Ordinal);
            json.WriteStartObject();
            Name(json, written, "model");
            json.WriteStringValue(command.Route.ProviderModel);

            Name(json, written, "messages");
            json.WriteStartArray();
            for (var i = 0; i < command.Messages.Count; i++)
            {
                WriteMessage(json, command.Messages[i], i);
            }

            json.WriteEndArray();

            Optional(json, written, "temperature", command.Temperature);
            Optional(json, written, "top_p", command.TopP);
            Optional(json, written, "max_tokens", command.MaxTokens);
            Optional(json, written, "n", command.N);

            if (command.Tools is { Count: > 0 } tools)
            {
                Name(json, written, "tools");
                json.WriteStartArray();
                foreach (var tool in tools)
                {
                    json.WriteStartObject();
                    json.WriteString("type", tool.Type);
                    json.WriteStartObject("function");
                    json.WriteString("name", tool.Name);
                    if (tool.Description is not null)
                    {
                        json.WriteString("description", tool.Description);
                    }

                    if (tool.ParametersJson is not null)
                    {
                        json.WritePropertyName("parameters");
                        Raw(json, tool.ParametersJson, "tools");
                    }

                    json.WriteEndObject();
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            if (command.ToolChoiceFunction is { } forced)
            {
                Name(json, written, "tool_choice");
                json.WriteStartObject();
                json.WriteString("type", "function");
                json.WriteStartObject("function");
                json.WriteString("name", forced);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            else if (command.ToolChoice is { } choice)
            {
                Name(json, written, "tool_choice");
                json.WriteStringValue(choice);
            }

            if (command.Stop is { Count: > 0 } stop)
            {
                Name(json, written, "stop");
                json.WriteStartArray();
                foreach (var s in stop)
                {
                    json.WriteStringValue(s);
                }

                json.WriteEndArray();
            }

            Optional(json, written, "seed", command.Seed);
            if (command.User is { } user)
            {
                Name(json, written, "user");
                json.WriteStringValue(user);
            }

            Name(json, written, "stream");
            json.WriteBooleanValue(stream);
            if (stream)
            {
                // Usage is always needed (the job is priced with it); the gateway forwards it only if the client asked.
                Name(json, written, "stream_options");
                json.WriteStartObject();
                json.WriteBoolean("include_usage", true);
                json.WriteEndObject();
            }

            WriteExtras(json, written, command.ExtraParametersJson);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteMessage(Utf8JsonWriter json, ChatMessage message, int index)
    {
        json.WriteStartObject();
        json.WriteString("role", message.Role);
        if (message.ContentPartsJson is { } parts)
        {
            json.WritePropertyName("content");
            Raw(json, parts, $"messages[{index}].content");
        }
        else if (message.Content is { } content)
        {
            json.WriteString("content", content);
        }
        else
        {
            json.WriteNull("content");
        }

        if (message.Name is { } name)
        {
            json.WriteString("name", name);
        }

        if (message.ToolCallId is { } toolCallId)
        {
            json.WriteString("tool_call_id", toolCallId);
        }

        if (message.ToolCalls is { Count: > 0 } calls)
        {
            json.WriteStartArray("tool_calls");
            foreach (var call in calls)
            {
                json.WriteStartObject();
                json.WriteString("id", call.Id);
                json.WriteString("type", call.Type);
                json.WriteStartObject("function");
                json.WriteString("name", call.Name);
                json.WriteString("arguments", call.Arguments);
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    private static void WriteExtras(Utf8JsonWriter json, HashSet<string> written, string? extras)
    {
        if (string.IsNullOrWhiteSpace(extras))
        {
            return;
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(extras);
        }
        catch (JsonException)
        {
            throw ApiException.BadField("request body", "The additional OpenAI parameters are not valid JSON.");
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw ApiException.BadField("request body", "The additional OpenAI parameters must be a JSON object.");
            }

            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (written.Add(property.Name))
                {
                    property.WriteTo(json);
                }
            }
        }
    }

    /// <summary>A modeled number the client may leave out: written only when set.</summary>
    private static void Optional(Utf8JsonWriter json, HashSet<string> written, string name, double? value)
    {
        if (value is { } number)
        {
            Name(json, written, name);
            json.WriteNumberValue(number);
        }
    }

    /// <summary>A modeled whole number the client may leave out (max_tokens, seed): written only when set, exactly.</summary>
    private static void Optional(Utf8JsonWriter json, HashSet<string> written, string name, long? value)
    {
        if (value is { } number)
        {
            Name(json, written, name);
            json.WriteNumberValue(number);
        }
    }

    private static void Name(Utf8JsonWriter json, HashSet<string> written, string name)
    {
        written.Add(name);
        json.WritePropertyName(name);
    }

    private static void Raw(Utf8JsonWriter json, string raw, string field)
    {
        try
        {
            json.WriteRawValue(raw);
        }
        catch (JsonException)
        {
            throw ApiException.BadField(field, $"'{field}' is not valid JSON.");
        }
    }
}

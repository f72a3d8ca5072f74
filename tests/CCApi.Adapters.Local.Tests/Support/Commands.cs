using CCApi.Contracts;

namespace CCApi.Adapters.Local.Tests.Support;

/// <summary>Commands as the gateway would build them for the local provider.</summary>
public static class Commands
{
    public static JobRoute Route(string model, ModelPricing? pricing = null) => new()
    {
        OwnerId = "test-owner",
        Provider = "local",
        Model = "local/" + model,
        ProviderModel = model,
        Pricing = pricing,
    };

    public static ChatCompletion NewChat(params ChatMessage[] messages) => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route("echo-1"),
        Messages = messages,
    };

    public static ChatMessage UserMessage(string text) => new() { Role = "user", Content = text };

    public static ChatMessage SystemMessage(string text) => new() { Role = "system", Content = text };

    public static ChatTool Tool(string name, string parametersJson, string? description = null) =>
        new() { Name = name, ParametersJson = parametersJson, Description = description };

    public const string WeatherSchema = """
        {
          "type": "object",
          "properties": {
            "city": { "type": "string", "description": "City name" },
            "unit": { "type": "string", "enum": ["celsius", "fahrenheit"] },
            "days": { "type": "integer", "minimum": 1, "maximum": 14 },
            "include_wind": { "type": "boolean" }
          },
          "required": ["city", "unit", "days"]
        }
        """;

    public static GenerateImage Image(string prompt, int width = 64, int height = 48, int n = 1, long? seed = null, bool async = false,
        IReadOnlyList<ImageInput>? inputs = null, string operation = "text-to-image") => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route(async ? "pixel-async-1" : "pixel-1", new ModelPricing { PerImage = 0.01m }),
        Operation = operation,
        Prompt = prompt,
        Width = width,
        Height = height,
        NumImages = n,
        Seed = seed,
        Async = async,
        Inputs = inputs,
    };

    public static Speech Speech(string input, string voice = "alloy", string format = "wav", double? speed = null) => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route("espeak-1", new ModelPricing { PerCharacter = 0.00001m }),
        Input = input,
        Voice = voice,
        Format = format,
        Speed = speed,
    };
}

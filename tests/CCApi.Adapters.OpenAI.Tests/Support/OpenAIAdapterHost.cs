using CCApi.Contracts;
using CCApi.Emulators.OpenAI;
using CCApi.Storage;
using CCApi.Testing.Adapters;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace CCApi.Adapters.OpenAI.Tests.Support;

/// <summary>
/// One emulator and one OpenAI adapter (the kit's <see cref="EmulatedAdapterHost{TProgram, TEmulator}"/>, RabbitMQ vhost
/// "openai"), with the commands the gateway would send it and a reader for streamed chats.
/// </summary>
public class OpenAIAdapterHost() : EmulatedAdapterHost<Program, OpenAIEmulator>("openai", "OpenAI", "openai-test-" + Guid.NewGuid().ToString("N")[..8])
{
    public override IJobCommand Job() => Chat("hi");

    protected override Task<OpenAIEmulator> StartEmulatorAsync() => OpenAIEmulator.StartAsync();

    protected override Dictionary<string, string?> Settings()
    {
        var settings = base.Settings();
        settings["OpenAI:StreamIdleTimeout"] = "00:00:01.500";
        return settings;
    }

    public ChatCompletion Chat(string text, bool stream = false) => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route("gpt-4o-mini", new ModelPricing { InputPerMillion = 1_000_000m, OutputPerMillion = 2_000_000m }),
        Messages = [new ChatMessage { Role = "user", Content = text }],
        Stream = stream,
    };

    public GenerateImage Image(string model = "gpt-image-1", int n = 1) => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route(model, new ModelPricing { PerImage = 0.04m }),
        Operation = "text-to-image",
        Prompt = "a lighthouse at dusk",
        Width = 1024,
        Height = 1024,
        NumImages = n,
    };

    public Speech Speech(string input = "Hello there", string format = "mp3", string voice = "alloy") => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = Route("tts-1", new ModelPricing { PerCharacter = 0.000015m }),
        Input = input,
        Voice = voice,
        Format = format,
    };

    /// <summary>Sends a streaming chat and reads its Redis stream to the end (done or error).</summary>
    public async Task<List<ChatStreamDelta>> StreamAsync(ChatCompletion command, bool redelivery = false)
    {
        var streams = Services.GetRequiredService<ChatStreams>();
        await SendAsync(JobKind.Chat, command, redelivery);
        var deltas = new List<ChatStreamDelta>();
        await foreach (var (_, delta) in streams.ReadAsync(command.JobId, null, TimeSpan.FromSeconds(30)))
        {
            deltas.Add(delta);
        }

        return deltas;
    }
}

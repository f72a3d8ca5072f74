using CCApi.Emulators.ElevenLabs;
using CCApi.Emulators.ImaginePro;
using CCApi.Emulators.OpenAI;
using CCApi.Emulators.StabilityAI;

namespace CCApi.Emulators;

/// <summary>Runs one provider emulator as a process: <c>dotnet CCApi.Emulators.dll &lt;provider&gt; [port] [api-key]</c>,
/// e.g. then <c>OPENAI_BASE_URL=http://127.0.0.1:9101/v1 OPENAI_API_KEY=sk-emulator-0123456789 ./run.sh</c>.</summary>
internal static class EmulatorProgram
{
    public static async Task<int> Main(string[] args)
    {
        var emulators = new Dictionary<string, Func<string?, Emulator>>(StringComparer.OrdinalIgnoreCase)
        {
            ["openai"] = key => new OpenAIEmulator(key ?? OpenAIEmulator.DefaultApiKey),
            ["elevenlabs"] = key => new ElevenLabsEmulator(key ?? ElevenLabsEmulator.DefaultApiKey),
            ["imaginepro"] = key => new ImagineProEmulator(key ?? ImagineProEmulator.DefaultApiKey),
            ["stabilityai"] = key => new StabilityAIEmulator(key ?? StabilityAIEmulator.DefaultApiKey),
        };

        if (args.Length == 0 || !emulators.TryGetValue(args[0], out var create))
        {
            await Console.Error.WriteLineAsync($"usage: CCApi.Emulators <{string.Join('|', emulators.Keys)}> [port] [api-key]");
            return 2;
        }

        var port = args.Length > 1 && int.TryParse(args[1], out var p) ? p : 0;
        await using var emulator = await Emulator.StartAsync(create(args.Length > 2 ? args[2] : null), port);
        Console.WriteLine($"{args[0]} emulator at {emulator.BaseUrl} (key {emulator.ApiKey}); Ctrl-C stops it");
        await emulator.WaitForShutdownAsync(); // Ctrl-C or SIGTERM (the host's console lifetime)
        return 0;
    }
}

namespace CCApi.Emulators;

/// <summary>Runs one provider emulator as a process: <c>dotnet CCApi.Emulators.dll &lt;provider&gt; [port] [api-key]</c>,
/// e.g. then <c>OPENAI_BASE_URL=http://127.0.0.1:9101/v1 OPENAI_API_KEY=sk-emulator-0123456789 ./run.sh</c>. The
/// providers are the emulators <see cref="EmulatorCatalog"/> finds.</summary>
internal static class EmulatorProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || !EmulatorCatalog.Exists(args[0]))
        {
            await Console.Error.WriteLineAsync($"usage: CCApi.Emulators <{string.Join('|', EmulatorCatalog.Providers)}> [port] [api-key]");
            return 2;
        }

        var port = args.Length > 1 && int.TryParse(args[1], out var p) ? p : 0;
        await using var emulator = await EmulatorCatalog.StartAsync(args[0], args.Length > 2 ? args[2] : null, port);
        Console.WriteLine($"{args[0]} emulator at {emulator.BaseUrl} (key {emulator.ApiKey}); Ctrl-C stops it");
        await emulator.WaitForShutdownAsync(); // Ctrl-C or SIGTERM (the host's console lifetime)
        return 0;
    }
}

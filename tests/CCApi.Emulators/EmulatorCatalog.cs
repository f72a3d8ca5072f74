using System.Reflection;

namespace CCApi.Emulators;

/// <summary>
/// Every provider emulator in this assembly, found by convention rather than listed: a provider whose adapter is
/// CCApi.Adapters.&lt;Name&gt; has its emulator in <c>&lt;Name&gt;/&lt;Name&gt;Emulator.cs</c>, a sealed <see cref="Emulator"/> whose
/// one constructor takes the API key (with the emulator's default key as its default value). The process entry point
/// and the end-to-end fixture start emulators through here, so adding one needs no list edited.
/// </summary>
public static class EmulatorCatalog
{
    private const string Suffix = nameof(Emulator);

    private static readonly Dictionary<string, Type> Types = typeof(Emulator).Assembly.GetTypes()
        .Where(t => t is { IsAbstract: false, IsClass: true } && t.IsSubclassOf(typeof(Emulator)) && t.Name.EndsWith(Suffix, StringComparison.Ordinal))
        .ToDictionary(t => t.Name[..^Suffix.Length], StringComparer.OrdinalIgnoreCase);

    /// <summary>The emulated providers, in lower case ("openai", "elevenlabs", …).</summary>
    public static IReadOnlyList<string> Providers { get; } = Types.Keys.Select(k => k.ToLowerInvariant()).Order(StringComparer.Ordinal).ToList();

    public static bool Exists(string provider) => Types.ContainsKey(provider);

    /// <summary>A new, not yet started emulator of <paramref name="provider"/> (its name or section, any case).</summary>
    public static Emulator Create(string provider, string? apiKey = null)
    {
        if (!Types.TryGetValue(provider, out var type))
        {
            throw new ArgumentException($"No emulator for provider '{provider}': expected a class {provider}{Suffix} deriving from {Suffix} in CCApi.Emulators.", nameof(provider));
        }

        var constructor = type.GetConstructors().SingleOrDefault(c => c.GetParameters() is [{ ParameterType: var p }] && p == typeof(string))
            ?? throw new InvalidOperationException($"{type.Name} needs one public constructor taking the API key.");
        var key = apiKey ?? constructor.GetParameters()[0].DefaultValue as string
            ?? throw new InvalidOperationException($"{type.Name}'s constructor has no default API key.");
        return (Emulator)constructor.Invoke([key]);
    }

    /// <summary>Creates and starts an emulator of <paramref name="provider"/> on loopback (a free port unless one is given).</summary>
    public static Task<Emulator> StartAsync(string provider, string? apiKey = null, int port = 0) =>
        Emulator.StartAsync(Create(provider, apiKey), port);
}

using System.Collections.Frozen;

namespace CCApi.Adapters.Local.Audio;

/// <summary>
/// OpenAI and ElevenLabs voice names mapped to espeak-ng voice+variant pairs (language voice, then a formant variant
/// from espeak-ng-data/voices/!v). The mapping keeps rough gender and accent; the voices are robotic, not the originals.
/// </summary>
public static class Voices
{
    public static readonly FrozenDictionary<string, string> Map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        // OpenAI
        ["alloy"] = "en-us+f2",
        ["ash"] = "en-us+m3",
        ["ballad"] = "en-gb+m5",
        ["coral"] = "en-us+f4",
        ["echo"] = "en-us+m1",
        ["fable"] = "en-gb-x-rp+m2",
        ["nova"] = "en-us+f5",
        ["onyx"] = "en-us+m7",
        ["sage"] = "en-gb+f2",
        ["shimmer"] = "en-us+f1",
        ["verse"] = "en-us+m4",

        // ElevenLabs premade voices
        ["aria"] = "en-us+f3",
        ["roger"] = "en-us+m2",
        ["sarah"] = "en-gb+f3",
        ["laura"] = "en-us+steph",
        ["charlie"] = "en-gb+m4",
        ["george"] = "en-gb-x-rp+m6",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>The public voice names, in catalog order.</summary>
    public static readonly IReadOnlyList<string> Names =
        ["alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse", "aria", "roger", "sarah", "laura", "charlie", "george"];

    public static string? EspeakVoice(string voice) => Map.GetValueOrDefault(voice.Trim());
}

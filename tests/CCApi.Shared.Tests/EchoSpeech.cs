using CCApi.Contracts;

namespace CCApi.Shared.Tests;

/// <summary>A speech command of a test provider and the outcome an echoing consumer answers it with.</summary>
internal static class EchoSpeech
{
    public static Speech Command(string provider, Guid? jobId = null) => new()
    {
        JobId = jobId ?? Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = new JobRoute { OwnerId = "key_test", Provider = provider, Model = provider + "/echo", ProviderModel = "echo" },
        Input = "hello",
        Voice = "alloy",
        Format = "wav",
    };

    public static SpeechSynthesized Synthesized(Speech command) => new()
    {
        JobId = command.JobId,
        Timestamp = DateTimeOffset.UtcNow,
        Route = command.Route,
        Audio = new BlobRef { Id = "none", ContentType = "audio/wav" },
        Format = command.Format,
        Usage = new Usage { Characters = command.Input.Length },
    };
}

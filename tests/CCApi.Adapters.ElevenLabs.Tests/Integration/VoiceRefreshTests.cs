using CCApi.Adapters.ElevenLabs.Tests.Support;

namespace CCApi.Adapters.ElevenLabs.Tests.Integration;

/// <summary>With the default refresh interval, clients sending unknown names cannot make the adapter list the voices on every request.</summary>
public sealed class VoiceRefreshTests : IAsyncLifetime
{
    private readonly DefaultRefreshHost _host = new();

    [Fact]
    public async Task Lists_the_voices_once_for_repeated_unknown_names_within_the_refresh_interval()
    {
        for (var i = 0; i < 3; i++)
        {
            var error = await _host.FailedAsync(_host.Speech(voice: $"Nobody {i}"));
            error.Details!["param"].ShouldBe("voice");
        }

        _host.Emulator.Count("/v1/voices").ShouldBe(1);
        _host.Emulator.SpeechCalls.ShouldBeEmpty();
    }

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    private sealed class DefaultRefreshHost : ElevenLabsAdapterHost
    {
        protected override void Configure(Dictionary<string, string?> settings) => settings.Remove("ElevenLabs:VoiceRefreshMinInterval");
    }
}

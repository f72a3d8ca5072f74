using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using CCApi.Adapters.ElevenLabs.Upstream;
using CCApi.Contracts;
using CCApi.ServiceDefaults;

namespace CCApi.Adapters.ElevenLabs.Tests.Unit;

public sealed class RequestTests
{
    private static Speech Command(double? speed = null, string format = "mp3", string? instructions = null) => new()
    {
        JobId = Guid.NewGuid(),
        Timestamp = DateTimeOffset.UtcNow,
        Route = new JobRoute { OwnerId = "o", Provider = "elevenlabs", Model = "elevenlabs/eleven_turbo_v2", ProviderModel = "eleven_turbo_v2" },
        Input = "Hi \"there\"",
        Voice = "Rachel",
        Format = format,
        Speed = speed,
        Instructions = instructions,
    };

    private static JsonElement Body(Speech command, ElevenLabsAdapterOptions? options = null) =>
        JsonDocument.Parse(ElevenLabsClient.RequestBody(command, options ?? new ElevenLabsAdapterOptions())).RootElement;

    [Fact]
    public void Writes_text_and_the_route_model_and_leaves_the_voice_settings_to_the_voice()
    {
        var body = Body(Command());

        body.GetProperty("text").GetString().ShouldBe("Hi \"there\"");
        body.GetProperty("model_id").GetString().ShouldBe("eleven_turbo_v2");
        body.TryGetProperty("voice_settings", out _).ShouldBeFalse();
    }

    [Fact]
    public void Writes_configured_voice_settings_with_every_request()
    {
        var options = new ElevenLabsAdapterOptions { Stability = 0.3, Style = 0.1, UseSpeakerBoost = false };

        var settings = Body(Command(), options).GetProperty("voice_settings");

        settings.GetProperty("stability").GetDouble().ShouldBe(0.3);
        settings.GetProperty("similarity_boost").GetDouble().ShouldBe(0.75);
        settings.GetProperty("style").GetDouble().ShouldBe(0.1);
        settings.GetProperty("use_speaker_boost").GetBoolean().ShouldBeFalse();
        settings.TryGetProperty("speed", out _).ShouldBeFalse();
    }

    [Theory]
    [InlineData(0.7)]
    [InlineData(1.0)]
    [InlineData(1.2)]
    public void Accepts_speeds_in_ElevenLabs_documented_range(double speed) =>
        ElevenLabsClient.Validate(Command(speed)).ProviderFormat.ShouldBe("mp3_44100_128");

    [Theory]
    [InlineData(0.69)]
    [InlineData(1.21)]
    [InlineData(double.NaN)]
    public void Rejects_speeds_outside_the_range_naming_speed(double speed) =>
        Should.Throw<ApiException>(() => ElevenLabsClient.Validate(Command(speed))).Details!["param"].ShouldBe("speed");

    [Fact]
    public void Rejects_instructions_but_not_blank_ones()
    {
        Should.Throw<ApiException>(() => ElevenLabsClient.Validate(Command(instructions: "cheerful"))).Details!["param"].ShouldBe("instructions");
        ElevenLabsClient.Validate(Command(instructions: "  ")).ShouldNotBeNull();
    }

    [Fact]
    public void Rejects_a_format_it_cannot_produce_naming_response_format_and_the_ones_it_can()
    {
        var error = Should.Throw<ApiException>(() => ElevenLabsClient.Validate(Command(format: "flac")));

        error.Details!["param"].ShouldBe("response_format");
        error.Message.ShouldContain("mp3, wav, ogg, opus, pcm");
    }

    [Theory]
    [InlineData(nameof(ElevenLabsAdapterOptions.Stability), 1.5)]
    [InlineData(nameof(ElevenLabsAdapterOptions.SimilarityBoost), -0.1)]
    [InlineData(nameof(ElevenLabsAdapterOptions.Style), 2.0)]
    public void Options_refuse_voice_settings_outside_0_to_1(string property, double value)
    {
        var options = new ElevenLabsAdapterOptions();
        typeof(ElevenLabsAdapterOptions).GetProperty(property)!.SetValue(options, value);
        var results = new List<ValidationResult>();

        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true).ShouldBeFalse();
        results.ShouldContain(r => r.MemberNames.Contains(property));
    }

    [Fact]
    public void Options_default_to_the_public_API_and_a_concurrency_an_entry_plan_allows()
    {
        var options = new ElevenLabsAdapterOptions();

        options.BaseUrl.ShouldBe("https://api.elevenlabs.io");
        options.Provider.ShouldBe("elevenlabs");
        options.ConcurrencyLimit.ShouldBe(5);
        Validator.TryValidateObject(options, new ValidationContext(options), null, validateAllProperties: true).ShouldBeTrue();
    }
}

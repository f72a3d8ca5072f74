using System.Text;
using CCApi.Adapters.ElevenLabs.Upstream;
using CCApi.Adapters.Hosting;

namespace CCApi.Adapters.ElevenLabs.Tests.Unit;

public sealed class VoiceDirectoryTests
{
    private static readonly ElevenLabsVoice[] Voices =
    [
        new("21m00Tcm4TlvDq8ikWAM", "Rachel", "premade"),
        new("EXAVITQu4vr4xnSDxMaL", "Sarah - Mature, Reassuring, Confident", "premade"),
        new("abcdefghij0123456789", "Jean-Luc", "cloned"),
    ];

    [Theory]
    [InlineData("21m00Tcm4TlvDq8ikWAM", "21m00Tcm4TlvDq8ikWAM")]
    [InlineData("rachel", "21m00Tcm4TlvDq8ikWAM")]
    [InlineData("RACHEL", "21m00Tcm4TlvDq8ikWAM")]
    [InlineData("Sarah - Mature, Reassuring, Confident", "EXAVITQu4vr4xnSDxMaL")]
    [InlineData("sarah", "EXAVITQu4vr4xnSDxMaL")]
    [InlineData("jean-luc", "abcdefghij0123456789")]
    public void Finds_a_voice_by_id_by_name_or_by_the_name_before_its_description(string wanted, string id)
    {
        VoiceDirectory.Find(Voices, wanted)!.Id.ShouldBe(id);
    }

    [Theory]
    [InlineData("Jean")]
    [InlineData("21m00tcm4tlvdq8ikwam")] // ids are case-sensitive
    [InlineData("Rach")]
    public void Finds_nothing_for_a_partial_name_or_a_differently_cased_id(string wanted) => VoiceDirectory.Find(Voices, wanted).ShouldBeNull();

    [Theory]
    [InlineData("21m00Tcm4TlvDq8ikWAM", true)]
    [InlineData("Rachel", false)]
    [InlineData("21m00Tcm4TlvDq8ikWA", false)]
    [InlineData("21m00Tcm4TlvDq8ikWAM1", false)]
    [InlineData("21m00Tcm4-lvDq8ikWAM", false)]
    public void Recognises_the_shape_of_an_ElevenLabs_voice_id(string voice, bool isId) => VoiceDirectory.LooksLikeVoiceId(voice).ShouldBe(isId);

    [Fact]
    public void Names_a_dozen_voices_sorted_and_says_how_many_more_exist()
    {
        var many = Enumerable.Range(0, 15).Select(i => new ElevenLabsVoice($"id{i}", $"Voice {(char)('O' - i)}")).ToList();

        var message = VoiceDirectory.UnknownVoiceMessage("Nobody", many);

        message.ShouldStartWith("'voice' 'Nobody' is neither an ElevenLabs voice id nor the name of a voice");
        message.ShouldContain("Available voices include: Voice A, Voice B,");
        message.ShouldContain("Voice L (and 3 more).");
        message.ShouldNotContain("Voice M");
    }

    [Fact]
    public void Says_so_when_the_account_lists_no_voices() =>
        VoiceDirectory.UnknownVoiceMessage("Nobody", []).ShouldContain("lists no voices");

    [Fact]
    public void Reads_the_voice_list_skipping_entries_without_id_or_name()
    {
        var body = Encoding.UTF8.GetBytes("""{"voices":[{"voice_id":"21m00Tcm4TlvDq8ikWAM","name":"Rachel","category":"premade","labels":{}},{"name":"no id"},{"voice_id":"x","name":null}]}""");

        var voices = VoiceDirectory.ReadVoices(body, "elevenlabs");

        voices.ShouldHaveSingleItem().ShouldBe(new ElevenLabsVoice("21m00Tcm4TlvDq8ikWAM", "Rachel", "premade"));
    }

    [Theory]
    [InlineData("""{"voices": [ {"voice_id": """)]
    [InlineData("""{"items":[]}""")]
    [InlineData("[]")]
    public void Answers_502_for_a_voice_list_that_is_not_one(string body)
    {
        var error = Should.Throw<UpstreamException>(() => VoiceDirectory.ReadVoices(Encoding.UTF8.GetBytes(body), "elevenlabs")).Error;

        error.Status.ShouldBe(502);
        error.Message.ShouldContain("voice list");
    }
}

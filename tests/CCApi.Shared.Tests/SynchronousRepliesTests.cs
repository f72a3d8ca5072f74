using CCApi.Contracts;
using CCApi.ServiceDefaults;
using CCApi.Storage;
using StackExchange.Redis;

namespace CCApi.Shared.Tests;

/// <summary>The wire of a synchronous call's answer on Redis (<see cref="SynchronousReplies"/>): what the adapter writes, the gateway reads.</summary>
public sealed class SynchronousRepliesTests
{
    [Fact]
    public void An_answer_reads_back_as_its_request_id_its_kind_and_the_outcome()
    {
        var requestId = Guid.NewGuid();
        var failure = new JobFailed
        {
            JobId = Guid.NewGuid(),
            Timestamp = DateTimeOffset.UtcNow,
            Kind = JobKind.Chat,
            Error = new ErrorInfo { Status = 400, Type = ErrorTypes.InvalidRequest, Code = ErrorCodes.InvalidRequest, Message = "no", Details = new Dictionary<string, string> { ["param"] = "voice" } },
        };

        SynchronousReplies.TryParse(SynchronousReplies.Format(requestId, failure), out var id, out var failed, out var json).ShouldBeTrue();

        id.ShouldBe(requestId);
        failed.ShouldBeTrue();
        var read = System.Text.Json.JsonSerializer.Deserialize<JobFailed>(json.Span)!;
        read.JobId.ShouldBe(failure.JobId);
        read.Error.Status.ShouldBe(400);
        read.Error.Details!["param"].ShouldBe("voice");
    }

    [Fact]
    public void An_answer_made_from_the_outcomes_json_is_the_answer_made_from_the_outcome()
    {
        // The adapters serialize an outcome once, for their result cache and for this answer.
        var requestId = Guid.NewGuid();
        var registered = new JobRegistered { JobId = Guid.NewGuid(), Timestamp = DateTimeOffset.UtcNow };
        var failure = new JobFailed
        {
            JobId = Guid.NewGuid(),
            Timestamp = DateTimeOffset.UtcNow,
            Kind = JobKind.Speech,
            Error = new ErrorInfo { Status = 502, Type = ErrorTypes.Api, Code = ErrorCodes.ProviderError, Message = "down" },
        };

        foreach (var outcome in new object[] { registered, failure })
        {
            var json = SynchronousReplies.Serialize(outcome);
            ((byte[])SynchronousReplies.Format(requestId, outcome, json)!).ShouldBe((byte[])SynchronousReplies.Format(requestId, outcome)!);
            SynchronousReplies.TryParse(SynchronousReplies.Format(requestId, outcome, json), out _, out var failed, out var read).ShouldBeTrue();
            failed.ShouldBe(outcome is JobFailed);
            read.ToArray().ShouldBe(json);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("0123456789abcdef0123456789abcdef")] // an id alone
    [InlineData("0123456789abcdef0123456789abcdef s")] // no outcome
    [InlineData("0123456789abcdef0123456789abcdef x{}")] // neither s nor f
    [InlineData("0123456789abcdef0123456789abcdeg s{}")] // not hex
    [InlineData("0123456789abcdef0123456789abcdef_s{}")]
    [InlineData("{0123456789abcdef0123456789abcd} s{}")]
    public void Anything_else_on_the_channel_is_not_an_answer(string message) =>
        SynchronousReplies.TryParse(message, out _, out _, out _).ShouldBeFalse();

    [Fact]
    public void A_streams_notice_reads_back_as_its_job_and_notification_and_is_never_an_answer()
    {
        var jobId = Guid.NewGuid();
        var note = "\n1-1\n{\"content\":\"Hi\"}";
        RedisValue message = SynchronousReplies.StreamNoticePrefix(jobId) + note;

        SynchronousReplies.TryParseStreamNotice(message, out var id, out var notice).ShouldBeTrue();
        id.ShouldBe(jobId);
        ((string)notice!).ShouldBe(note);
        SynchronousReplies.TryParse(message, out _, out _, out _).ShouldBeFalse();
        SynchronousReplies.TryParseStreamNotice(SynchronousReplies.Format(Guid.NewGuid(), new JobRegistered { JobId = jobId, Timestamp = DateTimeOffset.UtcNow }), out _, out _)
            .ShouldBeFalse(); // and an answer is no notice
    }

    [Theory]
    [InlineData("")]
    [InlineData("0123456789abcdef0123456789abcdef")]
    [InlineData("0123456789abcdef0123456789abcdef s{}")]
    [InlineData("0123456789abcdef0123456789abcdeg n\n1-1\n{}")] // not hex
    [InlineData("0123456789abcdef0123456789abcdef_n\n1-1\n{}")]
    public void Anything_else_on_the_channel_is_not_a_streams_notice(string message) =>
        SynchronousReplies.TryParseStreamNotice(message, out _, out _).ShouldBeFalse();

    [Fact]
    public void Only_the_platforms_own_channel_names_are_answered_on()
    {
        SynchronousReplies.IsChannelName(RedisKeys.SynchronousReplies(Guid.NewGuid())).ShouldBeTrue();
        SynchronousReplies.IsChannelName(null).ShouldBeFalse();
        SynchronousReplies.IsChannelName("").ShouldBeFalse();
        SynchronousReplies.IsChannelName("ccapi:replies:").ShouldBeFalse();
        SynchronousReplies.IsChannelName("ccapi:replies:not-a-guid-at-all-but-32-chars-long").ShouldBeFalse();
        SynchronousReplies.IsChannelName(RedisKeys.JobStreamChannel(Guid.NewGuid())).ShouldBeFalse(); // a client's stream
        SynchronousReplies.IsChannelName(RedisKeys.SynchronousReplies(Guid.NewGuid()) + "x").ShouldBeFalse();
        SynchronousReplies.IsChannelName("__keyspace@0__:" + RedisKeys.SynchronousReplies(Guid.NewGuid())).ShouldBeFalse();
    }

    [Fact]
    public void The_channel_is_a_literal_one_never_a_pattern() =>
        SynchronousReplies.Channel(RedisKeys.SynchronousReplies(Guid.NewGuid())).IsPattern.ShouldBeFalse();
}

using CCApi.Adapters.Local.Chat;
using CCApi.Adapters.Local.Tests.Support;
using CCApi.Contracts;
using CCApi.Storage;
using MassTransit;
using StackExchange.Redis;
using static CCApi.Adapters.Local.Tests.Support.Commands;

namespace CCApi.Adapters.Local.Tests.Integration;

[Collection(LocalAdapterCollection.Name)]
public class ChatTests(LocalAdapterHost host)
{
    [Fact]
    public async Task Responds_with_the_completion_priced_at_the_catalog_price_and_publishes_it()
    {
        var command = NewChat(SystemMessage("Be precise."), UserMessage("Outline a launch plan for CCAPI.")) with
        {
            Route = Route("echo-1", new ModelPricing { InputPerMillion = 1m, OutputPerMillion = 2m }),
        };

        var response = await host.Client<ChatCompletion>("local-chat").GetResponse<ChatCompleted, JobFailed>(command);

        response.Is(out Response<ChatCompleted>? ok).ShouldBeTrue();
        var completed = ok!.Message;
        completed.JobId.ShouldBe(command.JobId);
        var choice = completed.Choices.ShouldHaveSingleItem();
        choice.FinishReason.ShouldBe("stop");
        choice.Message.Role.ShouldBe("assistant");
        choice.Message.Content.ShouldBe(EchoModel.Complete(command).Content);
        var usage = completed.Usage;
        usage.TotalTokens.ShouldBe(usage.PromptTokens + usage.CompletionTokens);
        usage.PromptTokens.ShouldBeGreaterThan(0);
        usage.Cost.ShouldBe(((usage.PromptTokens * 1m) + (usage.CompletionTokens * 2m)) / 1_000_000m);

        await host.WaitForAsync<ChatCompleted>(e => e.JobId == command.JobId);
    }

    [Fact]
    public async Task Responds_JobFailed_400_naming_tool_choice_when_the_forced_function_is_unknown()
    {
        var command = NewChat(UserMessage("hi")) with { Tools = [Tool("a", "{}")], ToolChoiceFunction = "missing" };

        var response = await host.Client<ChatCompletion>("local-chat").GetResponse<ChatCompleted, JobFailed>(command);

        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.Error.Status.ShouldBe(400);
        failed.Message.Error.Type.ShouldBe("invalid_request_error");
        failed.Message.Error.Details!["param"].ShouldBe("tool_choice");
        failed.Message.Kind.ShouldBe(JobKind.Chat);
        await host.WaitForAsync<JobFailed>(e => e.JobId == command.JobId);
    }

    [Fact]
    public async Task Streams_role_then_content_words_then_finish_usage_and_done_and_publishes_the_completion()
    {
        var command = NewChat(UserMessage("Stream this sentence back to me please")) with { Stream = true, IncludeUsage = true };
        var expected = EchoModel.Complete(command);

        await host.SendAsync("local-chat", command);
        var deltas = await ReadStreamAsync(command.JobId);

        deltas[0].Role.ShouldBe("assistant");
        var content = deltas.Where(d => d.Content is not null).ToList();
        content.Count.ShouldBeGreaterThan(3);
        string.Concat(content.Select(d => d.Content)).ShouldBe(expected.Content);
        deltas[^3].FinishReason.ShouldBe("stop");
        deltas[^2].Usage.ShouldNotBeNull().CompletionTokens.ShouldBe(expected.CompletionTokens);
        deltas[^1].Done.ShouldBeTrue();

        var completed = (await host.WaitForAsync<ChatCompleted>(e => e.JobId == command.JobId)).Single(); // JobStatus' copy
        completed.Usage.ShouldBe(deltas[^2].Usage);
        completed.Choices.ShouldBeEmpty(); // the reader has the content; JobStatus records usage, never content
    }

    [Fact]
    public async Task Streams_a_tool_call_as_id_and_name_first_then_argument_fragments()
    {
        var command = NewChat(UserMessage("What's the weather in Paris? Use get_weather.")) with
        {
            Stream = true,
            Tools = [Tool("get_weather", WeatherSchema)],
            ToolChoice = "auto",
        };

        await host.SendAsync("local-chat", command);
        var deltas = await ReadStreamAsync(command.JobId);

        var toolDeltas = deltas.Where(d => d.ToolCalls is not null).Select(d => d.ToolCalls!.Single()).ToList();
        toolDeltas.Count.ShouldBeGreaterThan(2);
        toolDeltas[0].Id.ShouldNotBeNullOrEmpty();
        toolDeltas[0].Name.ShouldBe("get_weather");
        toolDeltas.Skip(1).ShouldAllBe(d => d.Id == null && d.Name == null && d.Index == 0);
        var arguments = string.Concat(toolDeltas.Select(d => d.ArgumentsFragment));
        SchemaCheck.Problems(WeatherSchema, arguments).ShouldBeEmpty();
        arguments.ShouldContain("\"city\":\"Paris\"");
        deltas.Single(d => d.FinishReason is not null).FinishReason.ShouldBe("tool_calls");
        deltas[^1].Done.ShouldBeTrue();
    }

    [Fact]
    public async Task Answers_n_choices_each_with_its_own_tool_call_ids_and_bills_the_completion_of_each()
    {
        var command = NewChat(UserMessage("What's the weather in Paris? Use get_weather.")) with
        {
            Tools = [Tool("get_weather", WeatherSchema)],
            ToolChoice = "auto",
            N = 3,
            Route = Route("echo-1", new ModelPricing { InputPerMillion = 1m, OutputPerMillion = 2m }),
        };
        var one = EchoModel.Complete(command);

        var response = await host.Client<ChatCompletion>("local-chat").GetResponse<ChatCompleted, JobFailed>(command);

        response.Is(out Response<ChatCompleted>? ok).ShouldBeTrue();
        var completed = ok!.Message;
        completed.Choices.Select(c => c.Index).ShouldBe([0, 1, 2]);
        completed.Choices.ShouldAllBe(c => c.FinishReason == "tool_calls" && c.Message.ToolCalls!.Single().Name == "get_weather");
        completed.Choices[0].Message.ToolCalls!.Single().Id.ShouldBe(one.ToolCalls!.Single().Id);
        completed.Choices.Select(c => c.Message.ToolCalls!.Single().Id).Distinct().Count().ShouldBe(3);
        completed.Choices.Select(c => c.Message.ToolCalls!.Single().Arguments).Distinct().ShouldHaveSingleItem();
        completed.Usage.PromptTokens.ShouldBe(one.PromptTokens);
        completed.Usage.CompletionTokens.ShouldBe(3 * one.CompletionTokens);
    }

    [Fact]
    public async Task Streams_n_choices_each_delta_marked_with_its_choice()
    {
        var command = NewChat(UserMessage("Two takes on this, please")) with { Stream = true, N = 2 };
        var one = EchoModel.Complete(command);

        await host.SendAsync("local-chat", command);
        var deltas = await ReadStreamAsync(command.JobId);

        for (var choice = 0; choice < 2; choice++)
        {
            var mine = deltas.Where(d => d.Choice == choice && d.Usage is null && !d.Done).ToList();
            mine[0].Role.ShouldBe("assistant");
            string.Concat(mine.Select(d => d.Content)).ShouldBe(one.Content);
            mine.Single(d => d.FinishReason is not null).FinishReason.ShouldBe("stop");
        }

        deltas.Single(d => d.Usage is not null).Usage!.CompletionTokens.ShouldBe(2 * one.CompletionTokens);
        deltas[^1].Done.ShouldBeTrue();
    }

    [Fact]
    public async Task A_redelivered_streaming_command_does_not_write_the_stream_twice()
    {
        var command = NewChat(UserMessage("Only once, please")) with { Stream = true };

        await host.SendAsync("local-chat", command);
        await host.WaitForAsync<ChatCompleted>(e => e.JobId == command.JobId);
        var before = await StreamLengthAsync(command.JobId);
        await host.SendAsync("local-chat", command, redelivery: true);
        await host.WaitForAsync<ChatCompleted>(e => e.JobId == command.JobId, count: 2);

        (await StreamLengthAsync(command.JobId)).ShouldBe(before);
        (await ReadStreamAsync(command.JobId)).Count(d => d.Done).ShouldBe(1);
        host.Recorded<ChatCompleted>(e => e.JobId == command.JobId).Select(e => e.Usage).Distinct().ShouldHaveSingleItem(); // the same outcome again
    }

    private async Task<List<ChatStreamDelta>> ReadStreamAsync(Guid jobId)
    {
        var deltas = new List<ChatStreamDelta>();
        await foreach (var (_, delta) in host.Get<ChatStreams>().ReadAsync(jobId, null, TimeSpan.FromSeconds(30)))
        {
            deltas.Add(delta);
        }

        return deltas;
    }

    private async Task<long> StreamLengthAsync(Guid jobId) =>
        await host.Get<IConnectionMultiplexer>().GetDatabase().StreamLengthAsync(RedisKeys.JobStream(jobId));
}

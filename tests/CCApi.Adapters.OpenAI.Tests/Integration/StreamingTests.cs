using System.Text.Json;
using CCApi.Adapters.OpenAI.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Emulators.OpenAI;
using CCApi.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace CCApi.Adapters.OpenAI.Tests.Integration;

/// <summary>Streaming chat: the upstream SSE stream relayed to the job's Redis stream in the platform's order, and its failures.</summary>
public sealed class StreamingTests(OpenAIAdapterHost host) : IClassFixture<OpenAIAdapterHost>
{
    [Fact]
    public async Task Relays_role_content_finish_usage_and_done_in_order()
    {
        host.Emulator.Reset();

        var deltas = await host.StreamAsync(host.Chat("stream me please", stream: true));

        deltas[0].Role.ShouldBe("assistant");
        string.Concat(deltas.Select(d => d.Content)).ShouldBe("Emulated reply to: stream me please");
        deltas.Count(d => d.Content is not null).ShouldBeGreaterThan(1);
        var finish = deltas.FindIndex(d => d.FinishReason is not null);
        var usage = deltas.FindIndex(d => d.Usage is not null);
        finish.ShouldBeGreaterThan(0);
        deltas[finish].FinishReason.ShouldBe("stop");
        usage.ShouldBe(finish + 1);
        deltas[usage].Usage!.CompletionTokens.ShouldBeGreaterThan(0);
        deltas[usage].Usage!.Cost.ShouldBeGreaterThan(0m);
        deltas[^1].Done.ShouldBeTrue();
        using var body = JsonDocument.Parse(host.Emulator.Requests.ShouldHaveSingleItem().Body);
        body.RootElement.GetProperty("stream").GetBoolean().ShouldBeTrue();
        body.RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public async Task Relays_n_interleaved_choices_each_delta_marked_with_its_choice()
    {
        host.Emulator.Reset();

        var deltas = await host.StreamAsync(host.Chat("stream me please", stream: true) with { N = 2 });

        for (var choice = 0; choice < 2; choice++)
        {
            var mine = deltas.Where(d => d.Choice == choice && d.Usage is null && !d.Done).ToList();
            mine[0].Role.ShouldBe("assistant");
            string.Concat(mine.Select(d => d.Content)).ShouldBe(choice == 0 ? "Emulated reply to: stream me please" : "Emulated reply to: stream me please (choice 1)");
            mine.Single(d => d.FinishReason is not null).FinishReason.ShouldBe("stop");
        }

        // Relayed as they came, interleaved: choice 1's words before choice 0 is finished.
        deltas.FindIndex(d => d.Choice == 1 && d.Content is not null).ShouldBeLessThan(deltas.FindIndex(d => d.Choice == 0 && d.FinishReason is not null));
        deltas.Single(d => d.Usage is not null).Usage!.CompletionTokens.ShouldBe(6 + 8);
        deltas[^1].Done.ShouldBeTrue();
        using var body = JsonDocument.Parse(host.Emulator.Requests.ShouldHaveSingleItem().Body);
        body.RootElement.GetProperty("n").GetInt32().ShouldBe(2);
    }

    [Fact]
    public async Task Relays_tool_call_deltas_whose_fragments_join_to_the_arguments()
    {
        host.Emulator.Reset();
        var command = host.Chat("weather?", stream: true) with { Tools = [new ChatTool { Name = "get_weather" }], ToolChoice = "required" };

        var deltas = await host.StreamAsync(command);

        var calls = deltas.Where(d => d.ToolCalls is not null).SelectMany(d => d.ToolCalls!).ToList();
        calls[0].Id.ShouldBe("call_emulated_1");
        calls[0].Name.ShouldBe("get_weather");
        string.Concat(calls.Select(c => c.ArgumentsFragment)).ShouldBe("{\"city\":\"Paris\",\"unit\":\"celsius\"}");
        deltas.Single(d => d.FinishReason is not null).FinishReason.ShouldBe("tool_calls");
        deltas[^1].Done.ShouldBeTrue();
    }

    [Fact]
    public async Task Ends_with_a_502_error_entry_when_the_connection_drops_mid_stream()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.DropMidStream, times: 1);

        var deltas = await host.StreamAsync(host.Chat("hi", stream: true));

        deltas.ShouldContain(d => d.Content == "Partial ");
        var error = deltas[^1].Error.ShouldNotBeNull();
        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_error");
        deltas.ShouldNotContain(d => d.Done);
    }

    [Fact]
    public async Task Ends_with_a_502_error_entry_when_a_chunk_is_malformed()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.Malformed, times: 1);

        var deltas = await host.StreamAsync(host.Chat("hi", stream: true));

        var error = deltas[^1].Error.ShouldNotBeNull();
        error.Status.ShouldBe(502);
        error.Message.ShouldContain("malformed");
    }

    [Fact]
    public async Task Fails_the_stream_with_429_before_any_content_when_the_provider_keeps_rate_limiting()
    {
        host.Emulator.Reset();
        host.Emulator.Fail(FailureMode.RateLimited, retryAfterSeconds: 0);

        var deltas = await host.StreamAsync(host.Chat("hi", stream: true));

        var error = deltas.ShouldHaveSingleItem().Error.ShouldNotBeNull();
        error.Status.ShouldBe(429);
        host.Emulator.Count("/v1/chat/completions").ShouldBe(3);
    }

    [Fact]
    public async Task A_redelivered_stream_that_was_cut_off_ends_with_an_error_without_calling_the_provider_again()
    {
        host.Emulator.Reset();
        var command = host.Chat("half-streamed before a crash", stream: true);
        var streams = host.Services.GetRequiredService<ChatStreams>();
        await streams.AppendAsync(command.JobId, new ChatStreamDelta { Role = "assistant" }); // what the dead delivery wrote
        await streams.AppendAsync(command.JobId, new ChatStreamDelta { Content = "Half" });

        var deltas = await host.StreamAsync(command, redelivery: true);

        deltas.Select(d => d.Content).ShouldContain("Half");
        deltas.Count(d => d.Content is not null).ShouldBe(1); // nothing duplicated, nothing continued
        var error = deltas[^1].Error.ShouldNotBeNull();
        error.Code.ShouldBe("provider_error");
        error.Message.ShouldContain("dropped");
        host.Emulator.Requests.ShouldBeEmpty();
    }
}

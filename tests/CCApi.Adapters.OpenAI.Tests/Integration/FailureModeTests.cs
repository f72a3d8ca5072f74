using System.Net;
using System.Net.Http.Json;
using CCApi.Adapters.OpenAI.Tests.Support;
using CCApi.Contracts;
using CCApi.Emulators;
using CCApi.Testing.Adapters;
using MassTransit;

namespace CCApi.Adapters.OpenAI.Tests.Integration;

/// <summary>The kit's failure modes through the bus, and what OpenAI's 400s say.</summary>
public sealed class FailureModeTests(OpenAIAdapterHost host) : FailureModeTests<OpenAIAdapterHost>(host), IClassFixture<OpenAIAdapterHost>
{
    protected override string ServerErrorMessage => "The server had an error";

    private async Task<ErrorInfo> FailedAsync(ChatCompletion command)
    {
        var response = await Host.AskAsync<ChatCompletion, ChatCompleted>(command, JobKind.Chat);
        response.Is(out Response<JobFailed>? failed).ShouldBeTrue();
        failed!.Message.JobId.ShouldBe(command.JobId);
        return failed.Message.Error;
    }

    [Fact]
    public async Task Answers_400_with_the_providers_message_and_param_without_retrying()
    {
        Host.Emulator.Reset();

        var error = await FailedAsync(Host.Chat("hi") with { Temperature = 5 });

        error.Status.ShouldBe(400);
        error.Type.ShouldBe("invalid_request_error");
        error.Message.ShouldContain("Invalid 'temperature': must be between 0 and 2.");
        error.Details!["param"].ShouldBe("temperature");
        Host.Emulator.Count("/v1/chat/completions").ShouldBe(1);
    }

    [Fact]
    public async Task A_failure_queued_for_a_marked_prompt_is_taken_by_that_prompts_request_only()
    {
        Host.Emulator.Reset();
        Host.Emulator.Fail(FailureMode.ServerError, times: 3, match: "[marked-7f3a]"); // the first attempt and both retries

        var other = await Host.AskAsync<ChatCompletion, ChatCompleted>(Host.Chat("an unmarked request in between"), JobKind.Chat);
        other.Is(out Response<ChatCompleted>? _).ShouldBeTrue(); // not robbed by a request without the marker
        var error = await FailedAsync(Host.Chat("fail me [marked-7f3a]"));
        error.Status.ShouldBe(502);
        var after = await Host.AskAsync<ChatCompletion, ChatCompleted>(Host.Chat("again [marked-7f3a]"), JobKind.Chat);
        after.Is(out Response<ChatCompleted>? _).ShouldBeTrue(); // the three were used up
        var failed = Host.Emulator.Requests.Where(r => r.Failure is not null).ToList();
        failed.Count.ShouldBe(3);
        failed.ShouldAllBe(r => r.Body.Contains("fail me"));
    }

    [Fact]
    public async Task The_emulator_process_takes_a_marked_failure_over_http()
    {
        Host.Emulator.Reset();
        using var http = new HttpClient { BaseAddress = new Uri(Host.Emulator.Origin) };
        using var queued = await http.PostAsJsonAsync("/_emulator/failures", new { mode = "server_error", times = 3, match = "[marked-http]" });
        queued.StatusCode.ShouldBe(HttpStatusCode.BadRequest); // modes are the enum's names
        using var set = await http.PostAsJsonAsync("/_emulator/failures", new { mode = "ServerError", times = 3, match = "[marked-http]" });
        set.StatusCode.ShouldBe(HttpStatusCode.NoContent);

        (await Host.AskAsync<ChatCompletion, ChatCompleted>(Host.Chat("plain"), JobKind.Chat)).Is(out Response<ChatCompleted>? _).ShouldBeTrue();
        (await FailedAsync(Host.Chat("[marked-http] please"))).Status.ShouldBe(502);

        using var cleared = await http.DeleteAsync("/_emulator/failures");
        cleared.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await Host.AskAsync<ChatCompletion, ChatCompleted>(Host.Chat("[marked-http] again"), JobKind.Chat)).Is(out Response<ChatCompleted>? _).ShouldBeTrue();
    }

    [Fact]
    public async Task Answers_400_naming_the_unknown_model_the_provider_does_not_have()
    {
        Host.Emulator.Reset();
        var command = Host.Chat("hi") with { Route = Host.Route("no-such-model") };

        var error = await FailedAsync(command);

        error.Status.ShouldBe(400);
        error.Message.ShouldContain("no-such-model");
        error.Details!["provider_code"].ShouldBe("model_not_found");
    }
}

/// <summary>The platform's key is wrong (the kit's shared test).</summary>
public sealed class RefusedCredentialsTests : RefusedCredentialsTests<OpenAIAdapterHost>
{
    protected override string WrongKey => "sk-wrong-key-0000";

    protected override string KeyFragment => "sk-wrong";

    protected override void ShouldHaveSentTheKey(string key) => Host.Emulator.Requests.Single().Authorization.ShouldBe("Bearer " + key);
}

using CCApi.Adapters.OpenAI.Tests.Support;
using CCApi.Contracts;
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

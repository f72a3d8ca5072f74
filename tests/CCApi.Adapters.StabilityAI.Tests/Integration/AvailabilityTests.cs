using CCApi.Adapters.StabilityAI.Tests.Support;
using CCApi.Emulators.StabilityAI;
using CCApi.Testing.Adapters;

namespace CCApi.Adapters.StabilityAI.Tests.Integration;

/// <summary>A healthy adapter announces the provider "available" (the kit's shared test).</summary>
public sealed class AvailabilityTests(StabilityAIAdapterHost host) : AvailabilityTests<StabilityAIAdapterHost>(host), IClassFixture<StabilityAIAdapterHost>;

/// <summary>No API key (the kit's shared tests).</summary>
public sealed class NoApiKeyTests : NoApiKeyTests<StabilityAIAdapterHost>;

/// <summary>The circuit breaker (the kit's shared test).</summary>
public sealed class CircuitBreakerTests : CircuitBreakerTests<StabilityAIAdapterHost>;

/// <summary>The platform's key is refused (401, the kit's shared test).</summary>
public sealed class RefusedCredentialsTests : RefusedCredentialsTests<StabilityAIAdapterHost>
{
    protected override string WrongKey => "sk-wrong-key-0000";

    protected override void ShouldHaveSentTheKey(string key) => Host.Emulator.Requests.Single().Authorization.ShouldBe("Bearer " + key);
}

/// <summary>The platform's key lacks permission (403): the client learns the PLATFORM's credentials were refused.</summary>
public sealed class ForbiddenCredentialsTests : IAsyncLifetime
{
    private const string Key = StabilityAIEmulator.ForbiddenKeyPrefix + "0000";

    private readonly StabilityAIAdapterHost _host = new() { Overrides = { ["ApiKey"] = Key } };

    [Fact]
    public async Task Answers_502_provider_auth_failed_saying_the_platforms_credentials_were_refused()
    {
        var error = await _host.FailedAsync(_host.TextToImage());

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_auth_failed");
        error.Message.ShouldContain("platform's credentials");
        error.Message.ShouldContain("Your CCAPI API key is fine");
        error.Message.ShouldNotContain(Key);
        error.Details!["upstream_status"].ShouldBe("403");
        _host.Emulator.Requests.Count.ShouldBe(1); // never retried
    }

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();
}


namespace CCApi.Testing.Adapters;

/// <summary>
/// Every upstream adapter whose platform key is refused (401, or 403 where the provider says so): the client must learn
/// that the PLATFORM's credentials were refused, not theirs, and the call is never retried.
/// </summary>
public abstract class RefusedCredentialsTests<THost> : OwnHostTests<THost>
    where THost : AdapterHost, IEmulatedAdapterHost, new()
{
    /// <summary>A key the provider's emulator refuses with <see cref="UpstreamStatus"/>.</summary>
    protected abstract string WrongKey { get; }

    /// <summary>How the provider refuses <see cref="WrongKey"/>.</summary>
    protected virtual string UpstreamStatus => "401";

    /// <summary>The part of <see cref="WrongKey"/> that must not leak into the error (the key itself by default).</summary>
    protected virtual string KeyFragment => WrongKey;

    [Fact]
    public async Task Answers_502_provider_auth_failed_saying_the_platforms_credentials_were_refused()
    {
        var error = (await Host.RunJobAsync(Host.Job())).ShouldHaveFailed();

        error.Status.ShouldBe(502);
        error.Code.ShouldBe("provider_auth_failed");
        error.Message.ShouldContain("platform's credentials");
        error.Message.ShouldContain("Your CCAPI API key is fine");
        error.Message.ShouldNotContain(KeyFragment);
        error.Details!["upstream_status"].ShouldBe(UpstreamStatus);
        Host.Emulator.Requests.Count.ShouldBe(1); // never retried
        ShouldHaveSentTheKey(WrongKey);
    }

    /// <summary>Checks the one request carried <paramref name="key"/> in the provider's auth header (as the provider has it).</summary>
    protected abstract void ShouldHaveSentTheKey(string key);

    protected override void Configure(Dictionary<string, string?> overrides) => overrides["ApiKey"] = WrongKey;
}

using System.ClientModel;
using System.Text;
using OpenAI;

namespace CCApi.EndToEnd.Tests;

/// <summary>
/// What every test class on the shared platform has: the one <see cref="PlatformFixture"/> of the run (the collection
/// attribute is inherited, so every derived class joins <see cref="PlatformCollection"/>), the official OpenAI SDK
/// pointed at it, and emulators with no failure queued and no requests recorded when each test starts.
/// </summary>
[Collection(PlatformCollection.Name)]
public abstract class PlatformTest(PlatformFixture platform) : IDisposable
{
    protected PlatformFixture Platform { get; } = platform;

    /// <summary>The official OpenAI .NET SDK on the gateway's base URL with the platform's API key.</summary>
    protected OpenAIClient Sdk => new(new ApiKeyCredential(Platform.ApiKey), new OpenAIClientOptions { Endpoint = new Uri(Platform.BaseUrl) });

    /// <summary>A JSON request body sent as it is written (no serializer in between).</summary>
    protected static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>Clears what a test queued on or recorded by any emulator, so the next test starts clean.</summary>
    public void Dispose()
    {
        foreach (var provider in Platform.Providers)
        {
            provider.Emulator.Reset();
        }

        GC.SuppressFinalize(this);
    }
}

using System.Text;

namespace CCApi.Fuzz.Tests;

/// <summary>
/// What every test class on the shared fuzz platform has: the one <see cref="FuzzPlatform"/> of the run (the collection
/// attribute is inherited, so every derived class joins <see cref="FuzzCollection"/>) and a JSON body written as it is.
/// </summary>
[Collection(FuzzCollection.Name)]
public abstract class FuzzTest(FuzzPlatform platform)
{
    protected FuzzPlatform Platform { get; } = platform;

    /// <summary>A JSON request body sent as it is written (no serializer in between), hostile or not.</summary>
    protected static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}

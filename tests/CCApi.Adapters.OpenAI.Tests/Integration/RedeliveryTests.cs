using CCApi.Adapters.OpenAI.Tests.Support;
using CCApi.Testing.Adapters;

namespace CCApi.Adapters.OpenAI.Tests.Integration;

/// <summary>The kit's shared tests: outcomes are published, a redelivered job answers with the stored one.</summary>
public sealed class RedeliveryTests(OpenAIAdapterHost host) : RedeliveryTests<OpenAIAdapterHost>(host), IClassFixture<OpenAIAdapterHost>;

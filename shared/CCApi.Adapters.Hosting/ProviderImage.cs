namespace CCApi.Adapters.Hosting;

/// <summary>
/// An image as a provider made it, before it is stored: its bytes (decoded or fetched), its sniffed content type, and
/// what the provider said of it (the seed that made it, the prompt it actually used).
/// </summary>
public sealed record ProviderImage(byte[] Bytes, string ContentType, long? Seed = null, string? RevisedPrompt = null);

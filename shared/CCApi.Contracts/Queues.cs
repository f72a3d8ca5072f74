namespace CCApi.Contracts;

/// <summary>
/// Queue naming shared by the edge (which sends) and the adapters (which consume): one queue per provider
/// and capability, so each can be scaled and limited on its own, and a command reaches only its provider. Image
/// commands come on two: "{provider}-image" for a client waiting on the answer and "{provider}-image-async" for an
/// async job (202 + polling), so a backlog of async jobs — which hold their slot while they run — never makes a
/// synchronous request wait behind it.
/// </summary>
public static class Queues
{
    public const string Chat = "chat";
    public const string Image = "image";
    public const string Speech = "speech";
    public const string ImageAsync = "image-async";

    public static string For(string provider, JobKind kind) => $"{provider}-{Capability(kind)}";

    /// <summary>The queue of a provider's async image jobs (GenerateImage with <c>Async</c>): "{provider}-image-async".</summary>
    public static string ForAsyncImages(string provider) => $"{provider}-{ImageAsync}";

    public static string Capability(JobKind kind) => kind switch
    {
        JobKind.Chat => Chat,
        JobKind.Image => Image,
        JobKind.Speech => Speech,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}

namespace CCApi.Contracts;

/// <summary>
/// Queue naming shared by the edge (which sends) and the adapters (which consume): one queue per provider
/// and capability, so each can be scaled and limited on its own, and a command reaches only its provider.
/// </summary>
public static class Queues
{
    public const string Chat = "chat";
    public const string Image = "image";
    public const string Speech = "speech";

    public static string For(string provider, JobKind kind) => $"{provider}-{Capability(kind)}";

    public static string Capability(JobKind kind) => kind switch
    {
        JobKind.Chat => Chat,
        JobKind.Image => Image,
        JobKind.Speech => Speech,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}

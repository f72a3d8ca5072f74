using CCApi.ServiceDefaults;

namespace CCApi.Gateway;

/// <summary>Error codes the gateway uses beyond the shared <see cref="CCApi.ServiceDefaults.ErrorCodes"/>.</summary>
public static class GatewayErrorCodes
{
    /// <inheritdoc cref="ErrorCodes.ServiceUnavailable"/>
    public const string ServiceUnavailable = ErrorCodes.ServiceUnavailable;

    /// <summary>A signed file URL whose signature is wrong or expired: 403.</summary>
    public const string InvalidSignature = "invalid_signature";

    /// <summary>416: a signed file's byte range starts past its end.</summary>
    public const string RangeNotSatisfiable = "range_not_satisfiable";

    /// <summary>A model outside the key's <c>models</c> list, or unpriced while the key refuses unpriced models: 403.</summary>
    public const string ModelNotAllowed = "model_not_allowed";

    /// <summary>A credit change on a key with unlimited credits: 400.</summary>
    public const string UnlimitedCredits = "unlimited_credits";

    /// <summary>A credit change that would leave the balance below zero: 400.</summary>
    public const string InsufficientBalance = "insufficient_balance";

    /// <summary>A chat request whose messages and <c>max_tokens</c> exceed the model's context window: 400, as OpenAI's.</summary>
    public const string ContextLengthExceeded = "context_length_exceeded";

    /// <summary>A cancel of a job that has already ended (completed, failed or canceled): 409, with the job view.</summary>
    public const string JobNotCancelable = "job_not_cancelable";
}

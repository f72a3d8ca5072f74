using CCApi.Gateway.Accounts;

namespace CCApi.Gateway.Credits;

/// <summary>
/// The most a request can cost at the catalog's price, in nano-dollars, rounded up: what is reserved before dispatch.
/// Chat = input tokens (counted with the o200k tokenizer, GPT-4o's) × input price + (max_tokens, else the model's maximum
/// output, else <see cref="CreditOptions.DefaultMaxOutputTokens"/>) × output price; images = n × price per image;
/// speech = characters × price per character. An unpriced model costs 0.
/// </summary>
public sealed class CostEstimator(IOptions<CreditOptions> options)
{
    /// <summary>OpenAI's per-message framing (role + separators) and the reply's priming, in tokens.</summary>
    public const int TokensPerMessage = 3;
    public const int ReplyPriming = 3;

    // Loaded once, on first use (a few hundred ms): only keys with credits ever count tokens.
    private static readonly Lazy<O200kTokenCounter> Tokenizer = new(O200kTokenCounter.Load);

    public static int CountTokens(string text) => text.Length == 0 ? 0 : Tokenizer.Value.Count(text);

    /// <summary><paramref name="text"/>'s tokens, counted only until they pass <paramref name="stopAfter"/> (then the result exceeds it).</summary>
    public static int CountTokens(string text, int stopAfter) => text.Length == 0 ? 0 : Tokenizer.Value.Count(text, stopAfter);

    /// <summary>Input tokens of a conversation as OpenAI bills them (content, parts, tool calls, per-message framing).</summary>
    public static long CountInputTokens(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool>? tools = null)
    {
        long tokens = ReplyPriming;
        foreach (var message in messages)
        {
            tokens += TokensPerMessage + CountTokens(message.Role) + CountTokens(message.Content ?? "") + CountTokens(message.ContentPartsJson ?? "");
            if (message.ToolCalls is { } calls)
            {
                foreach (var call in calls)
                {
                    tokens += CountTokens(call.Name) + CountTokens(call.Arguments);
                }
            }
        }

        if (tools is not null)
        {
            foreach (var tool in tools)
            {
                tokens += CountTokens(tool.Name) + CountTokens(tool.Description ?? "") + CountTokens(tool.ParametersJson ?? "");
            }
        }

        return tokens;
    }

    public long Chat(ModelEntry model, IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool>? tools, int? maxTokens)
    {
        var pricing = model.Pricing;
        var input = pricing.InputPerMillion is > 0 ? CountInputTokens(messages, tools) : 0;
        var output = maxTokens ?? model.Capabilities.MaxOutputTokens ?? options.Value.DefaultMaxOutputTokens;
        return ChatCost(pricing, input, output);
    }

    public static long ChatCost(ModelPricing pricing, long inputTokens, long outputTokens) =>
        Ceiling((inputTokens * (pricing.InputPerMillion ?? 0m) / 1_000_000m) + (outputTokens * (pricing.OutputPerMillion ?? 0m) / 1_000_000m));

    public static long Images(ModelPricing pricing, int count) => Ceiling(count * (pricing.PerImage ?? 0m));

    public static long Speech(ModelPricing pricing, int characters) => Ceiling(characters * (pricing.PerCharacter ?? 0m));

    /// <summary>USD → nano-dollars rounded up (a reservation never falls short of the priced usage), within the balance cap.</summary>
    public static long Ceiling(decimal usd) =>
        usd <= 0 ? 0 : (long)decimal.Ceiling(Math.Min(usd, Money.MaxUsd) * Money.NanosPerUsd);

    /// <summary>What a job's priced usage is shown as: <c>usage.cost_usd</c>, null for a model without a price.</summary>
    public static decimal? CostUsd(JobRoute route, Usage usage) =>
        route.Pricing is null || Auth.ApiCaller.IsUnpriced(route.Pricing) ? null : usage.Cost;
}

using CCApi.Gateway.Accounts;
using CCApi.Gateway.Api;

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

    /// <summary>
    /// <paramref name="text"/>'s tokens; with <paramref name="stopAfter"/>, counted only until they pass it (then the
    /// result exceeds it). <c>int.MaxValue</c>: the exact count.
    /// </summary>
    public static int CountTokens(string text, int stopAfter = int.MaxValue) => text.Length == 0 ? 0 : Tokenizer.Value.Count(text, stopAfter);

    /// <summary>
    /// Input tokens of a conversation as OpenAI bills them (content, text parts, tool calls, tools, per-message framing, and
    /// other parts' JSON as text). An image part is <paramref name="tokensPerImage"/> (the model's catalog
    /// <c>image_input_tokens</c>); without it, as many tokens as the part has bytes, an upper bound no provider reaches. With
    /// <paramref name="limit"/>, counting stops once past it and the result is <paramref name="limit"/>: a model cannot be
    /// billed more input than its context window, and a hostile prompt then costs the window's worth of counting, not its
    /// megabytes' (a piece longer than the tokenizer's chunk is then an estimate within a fraction of a percent).
    /// </summary>
    public static long CountInputTokens(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool>? tools = null, int limit = int.MaxValue, int? tokensPerImage = null)
    {
        var content = ChatContent.Of(messages);
        long tokens = ReplyPriming + (content.Images * (long?)tokensPerImage ?? content.ImageBytes);
        if (limit != int.MaxValue && ChatContextWindow.TryGetCount(messages, out var counted))
        {
            // The window check has counted the contents, text parts and tool calls of these very messages, against a
            // limit as this count is (so long pieces were estimated the same way): only the roles are counted here.
            tokens += counted - ReplyPriming - messages.Count; // its framing took each role as one token
            foreach (var message in messages)
            {
                Add(message.Role);
            }
        }
        else
        {
            foreach (var message in messages)
            {
                tokens += TokensPerMessage;
                Add(message.Role);
                Add(message.Content);
                foreach (var call in message.ToolCalls ?? [])
                {
                    Add(call.Name);
                    Add(call.Arguments);
                }
            }

            foreach (var text in content.Texts)
            {
                Add(text);
            }
        }

        foreach (var part in content.OtherParts)
        {
            Add(part);
        }

        foreach (var tool in tools ?? [])
        {
            Add(tool.Name);
            Add(tool.Description);
            Add(tool.ParametersJson);
        }

        return Math.Min(tokens, limit);

        void Add(string? text)
        {
            if (text is not null && tokens <= limit)
            {
                tokens += CountTokens(text, limit == int.MaxValue ? int.MaxValue : (int)(limit - tokens));
            }
        }
    }

    /// <summary>
    /// The most a chat can cost: its input once, and the output limit (<paramref name="maxTokens"/>, else the model's) for
    /// each of its <paramref name="choices"/>, which are all billed.
    /// </summary>
    public long Chat(ModelEntry model, IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool>? tools, int? maxTokens, int choices = 1)
    {
        var pricing = model.Pricing;
        var capabilities = model.Capabilities;
        var input = pricing.InputPerMillion is > 0
            ? CountInputTokens(messages, tools, capabilities.ContextLength ?? int.MaxValue, capabilities.ImageInputTokens)
            : 0;
        var output = (long)(maxTokens ?? capabilities.MaxOutputTokens ?? options.Value.DefaultMaxOutputTokens) * choices;
        return ChatCost(pricing, input, output);
    }

    public static long ChatCost(ModelPricing pricing, long inputTokens, long outputTokens) =>
        Ceiling((inputTokens * (pricing.InputPerMillion ?? 0m) / 1_000_000m) + (outputTokens * (pricing.OutputPerMillion ?? 0m) / 1_000_000m));

    public static long Images(ModelPricing pricing, int count) => Ceiling(count * (pricing.PerImage ?? 0m));

    /// <summary>
    /// Audio tokens a speech model priced by tokens (gpt-4o-mini-tts) is reserved per input character at speed 1: OpenAI's
    /// ~1,250 audio tokens a minute over ~800–900 characters a minute of English is ~1.5, rounded up; a slower speed
    /// makes longer audio (0.25: four times the tokens). The job is settled at the counts OpenAI reports.
    /// </summary>
    public const double AudioTokensPerCharacter = 2;

    /// <summary>
    /// The most a speech request can cost: per character, and for a model priced by tokens the input's o200k tokens plus
    /// <see cref="AudioTokensPerCharacter"/> audio tokens per character, divided by the speed.
    /// </summary>
    public static long Speech(ModelPricing pricing, string input, int characters, double? speed)
    {
        var perCharacter = characters * (pricing.PerCharacter ?? 0m);
        if (pricing.InputPerMillion is not > 0 && pricing.OutputPerMillion is not > 0)
        {
            return Ceiling(perCharacter);
        }

        var inputTokens = pricing.InputPerMillion is > 0 ? CountTokens(input) : 0;
        var audioTokens = (long)Math.Ceiling(characters * AudioTokensPerCharacter / Math.Clamp(speed ?? 1.0, 0.25, 4.0));
        return Ceiling(perCharacter + (inputTokens * (pricing.InputPerMillion ?? 0m) / 1_000_000m) + (audioTokens * (pricing.OutputPerMillion ?? 0m) / 1_000_000m));
    }

    /// <summary>USD → nano-dollars rounded up (a reservation never falls short of the priced usage), within the balance cap.</summary>
    public static long Ceiling(decimal usd) =>
        usd <= 0 ? 0 : (long)decimal.Ceiling(Math.Min(usd, Money.MaxUsd) * Money.NanosPerUsd);

    /// <summary>What a job's priced usage is shown as: <c>usage.cost_usd</c>, null for a model without a price.</summary>
    public static decimal? CostUsd(JobRoute route, Usage usage) =>
        route.Pricing is null || Auth.ApiCaller.IsUnpriced(route.Pricing) ? null : usage.Cost;
}

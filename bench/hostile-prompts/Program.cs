using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CCApi.Contracts;
using CCApi.ServiceDefaults;
using CCApi.Gateway.Api;
using CCApi.Gateway.Credits;
using Microsoft.Extensions.Options;

// One chat body per prompt kind, each put through what the gateway does with a request's text before admission: parse,
// validate, the model's checks (its context window) and, for a key with credits, the reservation's price. Prints one line
// per kind: kind, milliseconds per request (the median of the repetitions), the outcome (admitted tokens or the 400).
var repetitions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 11;
var only = args.Length > 1 ? args[1] : ""; // run only the prompts whose kind contains this
var model = new ModelEntry
{
    Id = "openai/gpt-4o-mini", Provider = "openai", ProviderModel = "gpt-4o-mini", DisplayName = "mini", Type = "chat",
    Pricing = new ModelPricing { InputPerMillion = 0.15m, OutputPerMillion = 0.6m },
    Capabilities = new ModelCapabilities { ContextLength = 128_000, MaxOutputTokens = 16_384, Streaming = true, FunctionCalling = true },
};
var costs = new CostEstimator(Options.Create(new CreditOptions()));
var random = new Random(20261206);

(string Kind, string Text)[] prompts =
[
    ("a tool described by 4M chars of - and = runs", "tool:" + Runs(4_000_000)),
    ("prose, 400k chars (~92k tokens)", Prose(400_000)),
    ("one letter x 1M (one piece)", new string('a', 1_000_000)),
    ("random letters x 1M (one piece)", Letters(1_000_000)),
    ("subwords run together x 1M", Subwords(1_000_000)),
    ("runs of - and = x 8M (one piece)", Runs(8_000_000)),
];

Measure(("warm-up", Prose(50_000) + new string('a', 50_000) + Letters(50_000)), 30); // the code tiered up before anything is timed
foreach (var prompt in prompts.Where(p => p.Kind.Contains(only, StringComparison.Ordinal)))
{
    var (ms, outcome) = Measure(prompt, repetitions);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{prompt.Kind}\t{ms:F1}\t{outcome}"));
}

(double Ms, string Outcome) Measure((string Kind, string Text) prompt, int times)
{
    // "tool:" puts the text in a tool's description (tools are priced but not part of the window check), else in the message.
    var inTool = prompt.Text.StartsWith("tool:", StringComparison.Ordinal);
    var request = new Dictionary<string, object>
    {
        ["model"] = model.Id,
        ["max_tokens"] = 100,
        ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = inTool ? "Look it up." : prompt.Text } },
    };
    if (inTool)
    {
        request["tools"] = new[]
        {
            new Dictionary<string, object>
            {
                ["type"] = "function",
                ["function"] = new Dictionary<string, object> { ["name"] = "lookup", ["description"] = prompt.Text[5..], ["parameters"] = new Dictionary<string, string> { ["type"] = "object" } },
            },
        };
    }

    var body = JsonSerializer.Serialize(request);
    var timings = new List<double>();
    var outcome = "";
    for (var i = 0; i < times; i++)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var parsed = JsonSerializer.Deserialize(body, GatewayJsonContext.Web.ChatCompletionRequestBody)!;
            var plan = ChatRequestValidator.ForModel(ChatRequestValidator.Validate(parsed), model);
            outcome = $"admitted, {costs.Chat(model, plan.Messages, plan.Tools, plan.MaxTokens)} nUSD reserved";
        }
        catch (ApiException e)
        {
            outcome = $"{e.Status} {e.Code}";
        }

        timings.Add(watch.Elapsed.TotalMilliseconds);
    }

    timings.Sort();
    return (timings[timings.Count / 2], outcome);
}

string Prose(int length)
{
    string[] words = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog,", "and", "then", "runs."];
    var text = new StringBuilder(length + 8);
    while (text.Length < length)
    {
        text.Append(words[random.Next(words.Length)]).Append(' ');
    }

    return text.ToString(0, length);
}

string Letters(int length) => string.Create(length, random, (span, r) =>
{
    for (var i = 0; i < span.Length; i++)
    {
        span[i] = (char)('a' + r.Next(26));
    }
});

string Subwords(int length)
{
    string[] parts = ["the", "and", "for", "you", "tion", "ing", "ment", "ally", "ness", "ever"];
    var text = new StringBuilder(length + 8);
    while (text.Length < length)
    {
        text.Append(parts[random.Next(parts.Length)]);
    }

    return text.ToString(0, length);
}

string Runs(int length)
{
    var text = new StringBuilder(length + 64);
    while (text.Length < length)
    {
        text.Append(random.Next(2) == 0 ? '-' : '=', random.Next(1, 64));
    }

    return text.ToString(0, length);
}

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
var only = args.Length > 1 ? args[1].Split('|') : [""]; // run only the prompts whose kind contains one of these
var model = Model("openai/gpt-4o-mini", 128_000);

// The failover case: eleven candidates (model + 10 models, the most a request may name), windows of 118k to 128k tokens;
// the gateway checks every candidate before it dispatches to the first.
var candidates = Enumerable.Range(0, 11).Select(i => Model($"openai/gpt-4o-mini-{i}", 118_000 + (i * 1000))).ToArray();
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
    ("failover: 11 candidates, 3M chars of - and = runs (fits every window)", "failover:" + Runs(3_000_000)),
];

Measure(("warm-up", Prose(50_000) + new string('a', 50_000) + Letters(50_000)), 30); // the code tiered up before anything is timed
foreach (var prompt in prompts.Where(p => only.Any(o => p.Kind.Contains(o, StringComparison.Ordinal))))
{
    var (ms, outcome) = Measure(prompt, repetitions);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{prompt.Kind}\t{ms:F1}\t{outcome}"));
}

ModelEntry Model(string id, int window) => new()
{
    Id = id, Provider = "openai", ProviderModel = "gpt-4o-mini", DisplayName = "mini", Type = "chat",
    Pricing = new ModelPricing { InputPerMillion = 0.15m, OutputPerMillion = 0.6m },
    Capabilities = new ModelCapabilities { ContextLength = window, MaxOutputTokens = 16_384, Streaming = true, FunctionCalling = true },
};

(double Ms, string Outcome) Measure((string Kind, string Text) prompt, int times)
{
    // "tool:" puts the text in a tool's description (tools are priced but not part of the window check), "failover:" in
    // the message of a request naming every candidate; otherwise the text is the message to one model.
    var inTool = prompt.Text.StartsWith("tool:", StringComparison.Ordinal);
    var failover = prompt.Text.StartsWith("failover:", StringComparison.Ordinal);
    var text = inTool ? prompt.Text[5..] : failover ? prompt.Text[9..] : prompt.Text;
    var request = new Dictionary<string, object>
    {
        ["model"] = failover ? candidates[0].Id : model.Id,
        ["max_tokens"] = 100,
        ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = inTool ? "Look it up." : text } },
    };
    if (failover)
    {
        request["models"] = candidates.Skip(1).Select(c => c.Id).ToArray();
    }

    if (inTool)
    {
        request["tools"] = new[]
        {
            new Dictionary<string, object>
            {
                ["type"] = "function",
                ["function"] = new Dictionary<string, object> { ["name"] = "lookup", ["description"] = text, ["parameters"] = new Dictionary<string, string> { ["type"] = "object" } },
            },
        };
    }

    var body = JsonSerializer.Serialize(request);

    // Each row starts from a collected heap: what an earlier row left must not be collected inside this one's timings.
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    var timings = new List<double>();
    var outcome = "";
    for (var i = 0; i < times; i++)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var parsed = JsonSerializer.Deserialize(body, GatewayJsonContext.Web.ChatCompletionRequestBody)!;
            var validated = ChatRequestValidator.Validate(parsed);
            var models = failover ? candidates : [model];
            var plans = models.Select(m => ChatRequestValidator.ForModel(validated, m)).ToList(); // as the pipeline: every candidate first
            outcome = $"admitted, {costs.Chat(models[0], plans[0].Messages, plans[0].Tools, plans[0].MaxTokens)} nUSD reserved";
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

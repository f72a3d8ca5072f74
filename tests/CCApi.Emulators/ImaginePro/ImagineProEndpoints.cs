using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CCApi.Emulators.ImaginePro;

/// <summary>The emulator's request handling: auth, validation, failure modes, then the job's current step.</summary>
internal sealed class ImagineProEndpoints(ImagineProEmulator emulator)
{
    /// <summary>The models the Universal Imagine endpoint accepts (imaginepro-js-sdk README), "nano-banana" by default.</summary>
    public static readonly string[] Models = ["nano-banana", "nano-banana-2", "gemini-2.5-flash-image-preview", "gemini-3-pro-image-preview"];

    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    public async Task SubmitAsync(HttpContext http)
    {
        var (ok, failure, text) = await BeginAsync(http, takeFailure: !emulator.FailPollsOnly);
        if (!ok)
        {
            return;
        }

        if (!(http.Request.ContentType ?? "").StartsWith("application/json", StringComparison.Ordinal))
        {
            await ErrorAsync(http, 400, "Content-Type must be application/json");
            return;
        }

        if (EmulatorEndpoints.ParseObject(text) is not { } body)
        {
            await ErrorAsync(http, 400, "Unexpected token in JSON body");
            return;
        }

        var problem = Validate(body, out var prompt);
        if (problem is not null)
        {
            await ErrorAsync(http, 400, problem);
            return;
        }

        if (await ApplyFailureAsync(http, failure))
        {
            return;
        }

        var id = Guid.NewGuid().ToString();
        var steps = prompt.Contains(ImagineProEmulator.BlockedPrompt, StringComparison.OrdinalIgnoreCase)
            ? [new ImagineProStep("QUEUED", 0), new ImagineProStep("FAIL", 0, ImagineProEmulator.ModerationError)]
            : prompt.Contains(ImagineProEmulator.FailPrompt, StringComparison.OrdinalIgnoreCase)
                ? [new ImagineProStep("QUEUED", 0), new ImagineProStep("PROCESSING", 30), new ImagineProStep("FAIL", 30, ImagineProEmulator.GenerationError)]
                : emulator.Progression;
        var job = new ImagineProEmulator.EmulatedJob(id, prompt, body["ref"]?.GetValueKind() == JsonValueKind.String ? body["ref"]!.GetValue<string>() : null, steps);
        if (!emulator.ForgetJobsOnSubmit)
        {
            emulator.Jobs[id] = job;
        }

        await JsonAsync(http, 200, new JsonObject
        {
            ["success"] = true,
            ["messageId"] = id,
            ["createdAt"] = job.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
        });
    }

    public async Task FetchAsync(HttpContext http, string messageId)
    {
        var (ok, failure, _) = await BeginAsync(http, takeFailure: true);
        if (!ok)
        {
            return;
        }

        if (await ApplyFailureAsync(http, failure))
        {
            return;
        }

        if (!emulator.Jobs.TryGetValue(messageId, out var job))
        {
            await ErrorAsync(http, 404, $"Message {messageId} not found");
            return;
        }

        var step = job.Observe(emulator.Paused);
        var message = new JsonObject
        {
            ["messageId"] = job.Id,
            ["prompt"] = job.Prompt,
            ["progress"] = emulator.ProgressAsString ? JsonValue.Create(step.Progress.ToString(CultureInfo.InvariantCulture)) : JsonValue.Create(step.Progress),
            ["status"] = step.Status,
            ["createdAt"] = job.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
            ["updatedAt"] = job.UpdatedAt.ToString("O", CultureInfo.InvariantCulture),
            ["buttons"] = new JsonArray(),
            ["ref"] = job.Ref ?? "",
        };
        if (step.Status == "DONE")
        {
            var url = $"{emulator.Origin}/storage/{job.Id}.png";
            message["uri"] = url;
            message["originalUrl"] = url;
        }

        if (step.Error is not null)
        {
            message["error"] = step.Error;
        }

        await JsonAsync(http, 200, message);
    }

    /// <summary>The "CDN": a finished job's image, a real PNG whose colour depends on the message id (no key needed).</summary>
    public IResult Image(HttpContext http, string name)
    {
        emulator.Requests.Enqueue(new RecordedRequest(http.Request.Path.Value!, http.Request.Headers.Authorization.ToString(), "", null));
        var id = name.EndsWith(".png", StringComparison.Ordinal) ? name[..^4] : name;
        return emulator.Jobs.ContainsKey(id) ? Results.Bytes(PngImage.Solid(id), "image/png") : Results.NotFound();
    }

    /// <summary>The request body rules of POST /api/v1/universal/imagine; null when valid.</summary>
    private static string? Validate(JsonObject body, out string prompt)
    {
        prompt = "";
        if (body["contents"] is not JsonArray contents || contents.Count == 0)
        {
            return "contents must be a non-empty array";
        }

        var texts = new List<string>();
        for (var i = 0; i < contents.Count; i++)
        {
            if (contents[i] is not JsonObject block || block["type"]?.GetValueKind() != JsonValueKind.String)
            {
                return $"contents.{i}.type must be one of the following values: image, text";
            }

            switch (block["type"]!.GetValue<string>())
            {
                case "text":
                    if (block["text"]?.GetValueKind() != JsonValueKind.String || string.IsNullOrWhiteSpace(block["text"]!.GetValue<string>()))
                    {
                        return $"contents.{i}.text should not be empty";
                    }

                    texts.Add(block["text"]!.GetValue<string>());
                    break;
                case "image":
                    if (block["url"]?.GetValueKind() != JsonValueKind.String
                        || !Uri.TryCreate(block["url"]!.GetValue<string>(), UriKind.Absolute, out var url)
                        || url.Scheme is not ("http" or "https"))
                    {
                        return $"contents.{i}.url must be a URL address";
                    }

                    break;
                default:
                    return $"contents.{i}.type must be one of the following values: image, text";
            }
        }

        if (texts.Count == 0)
        {
            return "contents must contain a text block with the prompt";
        }

        prompt = string.Join(" ", texts);
        if (body["model"] is { } model && (model.GetValueKind() != JsonValueKind.String || !Models.Contains(model.GetValue<string>())))
        {
            return $"model must be one of the following values: {string.Join(", ", Models)}";
        }

        if (body["timeout"] is { } timeout && (timeout.GetValueKind() != JsonValueKind.Number || timeout.GetValue<double>() is < 10 or > 900))
        {
            return "timeout must not be less than 10 and not greater than 900";
        }

        if (body["ref"] is { } reference && reference.GetValueKind() != JsonValueKind.String)
        {
            return "ref must be a string";
        }

        return null;
    }

    /// <summary>Records the request, takes its failure and checks the bearer key; false = already answered.</summary>
    private async Task<(bool Ok, EmulatorFailure? Failure, string Body)> BeginAsync(HttpContext http, bool takeFailure)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        var authorization = http.Request.Headers.Authorization.ToString();
        var failure = takeFailure ? emulator.TakeFailure(text) : null;
        emulator.Requests.Enqueue(new RecordedRequest(http.Request.Path.Value!, authorization, text, failure?.Mode));

        if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal) || authorization["Bearer ".Length..] != emulator.ApiKey)
        {
            await ErrorAsync(http, 401, "Invalid API key", "Unauthorized");
            return (false, null, text);
        }

        return (true, failure, text);
    }

    /// <summary>True when the failure answered the request (or cut it); a Slow failure waits, then answers normally.</summary>
    private static Task<bool> ApplyFailureAsync(HttpContext http, EmulatorFailure? failure) => EmulatorEndpoints.AnswerFailureAsync(http, failure,
        rateLimited: () => ErrorAsync(http, 429, "ThrottlerException: Too Many Requests", "Too Many Requests"),
        serverError: () => ErrorAsync(http, 500, "Internal server error", "Internal Server Error"),
        malformed: () =>
        {
            http.Response.ContentType = "application/json";
            return http.Response.WriteAsync("{\"success\": true, \"messageId\": ");
        });

    /// <summary>NestJS's error body, which ImaginePro's API answers with: {"statusCode","message","error"}.</summary>
    private static Task ErrorAsync(HttpContext http, int status, string message, string? error = null) =>
        JsonAsync(http, status, new JsonObject
        {
            ["statusCode"] = status,
            ["message"] = message,
            ["error"] = error ?? (status == 404 ? "Not Found" : "Bad Request"),
        });

    private static async Task JsonAsync(HttpContext http, int status, JsonObject body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=utf-8";
        await http.Response.WriteAsync(body.ToJsonString(Compact));
    }
}

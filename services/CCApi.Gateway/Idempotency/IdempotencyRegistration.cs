using CCApi.ServiceDefaults;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace CCApi.Gateway.Idempotency;

public static class IdempotencyRegistration
{
    /// <summary>Options (validated at start), the Redis store the <see cref="IdempotencyEndpointFilter"/> uses, and its OpenAPI description.</summary>
    public static IHostApplicationBuilder AddIdempotentRequests(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<IdempotencyOptions>().BindConfiguration(IdempotencyOptions.SectionName).ValidateAttributes(new IdempotencyOptionsValidator()).ValidateOnStart();
        builder.Services.AddSingleton<IdempotencyStore>();
        builder.Services.Configure<OpenApiOptions>("v1", options => options.AddOperationTransformer((operation, context, _) =>
        {
            var description = context.Description;
            if (string.Equals(description.HttpMethod, "POST", StringComparison.OrdinalIgnoreCase)
                && description.RelativePath?.StartsWith("v1/", StringComparison.OrdinalIgnoreCase) == true)
            {
                Describe(operation);
            }

            return Task.CompletedTask;
        }));
        return builder;
    }

    /// <summary>The optional <c>Idempotency-Key</c> header and the 409/422 it can answer.</summary>
    public static void Describe(OpenApiOperation operation)
    {
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = IdempotencyErrors.Header,
            In = ParameterLocation.Header,
            Required = false,
            Description = "Optional, 1–255 printable ASCII characters, scoped to the API key. The same key with the same request "
                + "within 24 h replays the first response (header Idempotent-Replayed: true) without executing it again.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = IdempotencyEndpointFilter.MaxKeyLength },
        });

        operation.Responses ??= [];
        var errorContent = operation.Responses.TryGetValue("401", out var unauthorized) ? unauthorized.Content
            : operation.Responses.TryGetValue("400", out var bad) ? bad.Content : null;
        operation.Responses.TryAdd("409", new OpenApiResponse
        {
            Description = "idempotency_key_in_use: a request with this Idempotency-Key is still executing (or "
                + "idempotency_response_unavailable: it executed, but its response was too large to save).",
            Content = errorContent,
        });
        operation.Responses.TryAdd("422", new OpenApiResponse
        {
            Description = "idempotency_key_reused: this Idempotency-Key was used with a different request.",
            Content = errorContent,
        });
    }
}

using CCApi.Gateway.Http;
using CCApi.Gateway.Idempotency;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace CCApi.Gateway.Endpoints;

/// <summary>
/// The public API is served under /v1 (so OpenAI SDKs work with base_url=…/v1) and, because the CCAPI documentation
/// prints paths without a prefix, also at the unprefixed paths: every area maps its routes into both groups.
/// </summary>
public static class ApiRoutes
{
    public static readonly string[] Prefixes = ["/v1", ""];

    /// <summary>
    /// One route group per prefix, open to browsers on other origins (<see cref="BrowserAccess"/>); authenticated groups
    /// require a bearer API key, and their POST routes honour <c>Idempotency-Key</c> (<see cref="IdempotencyEndpointFilter"/>).
    /// </summary>
    public static IReadOnlyList<RouteGroupBuilder> MapApiGroups(this IEndpointRouteBuilder app, string tag, bool authenticated = true)
    {
        var groups = new List<RouteGroupBuilder>(Prefixes.Length);
        foreach (var prefix in Prefixes)
        {
            var group = app.MapGroup(prefix).WithTags(tag);
            group.RequireCors(BrowserAccess.PolicyName); // pages on other origins may call it (Cors:AllowedOrigins)
            if (authenticated)
            {
                group.WithEndpointFilter<ApiKeyEndpointFilter>();
                group.WithEndpointFilter<IdempotencyEndpointFilter>(); // POST + Idempotency-Key: replay, 409, 422 (per API key)
            }

            if (prefix.Length == 0)
            {
                group.ExcludeFromDescription(); // the OpenAPI document lists the /v1 paths once
            }

            groups.Add(group);
        }

        return groups;
    }

    /// <summary>Maps an area's routes (<paramref name="map"/>, called once per group) into every group of <see cref="MapApiGroups"/>.</summary>
    public static IEndpointRouteBuilder MapApiRoutes(this IEndpointRouteBuilder app, string tag, Action<RouteGroupBuilder> map, bool authenticated = true)
    {
        foreach (var group in app.MapApiGroups(tag, authenticated))
        {
            map(group);
        }

        return app;
    }

    /// <summary>
    /// Describes a model route that takes a JSON body (mapped by the caller with <c>MapPost(pattern, Handler)</c>, a method
    /// group the Request Delegate Generator compiles): documents the body, the 200 response, what else the route answers
    /// on success (<paramref name="alsoAnswers"/>: another content type, a 202), 400 and <see cref="ProducesModelRouteErrors"/>.
    /// </summary>
    public static RouteHandlerBuilder AsModelPost<TRequest, TResponse>(
        this RouteHandlerBuilder route, Func<RouteHandlerBuilder, RouteHandlerBuilder>? alsoAnswers = null)
        where TRequest : notnull
    {
        route.Accepts<TRequest>("application/json").Produces<TResponse>(StatusCodes.Status200OK);
        return (alsoAnswers?.Invoke(route) ?? route)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .ProducesModelRouteErrors();
    }

    /// <summary>
    /// Documents another content type of the route's 200 beside its JSON (a second <c>Produces</c> for the same status
    /// would replace the JSON one, leaving the 200 with no content at all): server-sent events as text, audio as binary.
    /// </summary>
    public static RouteHandlerBuilder Produces200Also(this RouteHandlerBuilder route, string contentType) =>
        route.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.Responses?.TryGetValue("200", out var answer) == true && answer is OpenApiResponse ok)
            {
                ok.Content ??= new Dictionary<string, OpenApiMediaType>();
                ok.Content[contentType] = new OpenApiMediaType
                {
                    Schema = new OpenApiSchema
                    {
                        Type = JsonSchemaType.String,
                        Format = contentType.StartsWith("text/", StringComparison.Ordinal) ? null : "binary",
                    },
                };
            }

            return Task.CompletedTask;
        });

    /// <summary>
    /// Documents what every model route can answer besides its own 200/400: 401 (key), 402 (credits cannot cover the
    /// request's reservation), 403 (allow-list), 429 (rate limits, with <c>Retry-After</c>) and 503 (Redis or the bus
    /// unavailable), each with the error object.
    /// </summary>
    public static RouteHandlerBuilder ProducesModelRouteErrors(this RouteHandlerBuilder route)
    {
        foreach (var status in ModelRouteErrorStatuses)
        {
            route.Produces<ErrorResponse>(status);
        }

        return route;
    }

    private static readonly int[] ModelRouteErrorStatuses =
    [
        StatusCodes.Status401Unauthorized, StatusCodes.Status402PaymentRequired, StatusCodes.Status403Forbidden, StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable,
    ];
}

using CCApi.Gateway.Auth;

namespace CCApi.Gateway.Endpoints;

/// <summary>
/// The public API is served under /v1 (so OpenAI SDKs work with base_url=…/v1) and, because the CCAPI documentation
/// prints paths without a prefix, also at the unprefixed paths: every area maps its routes into both groups.
/// </summary>
public static class ApiRoutes
{
    public static readonly string[] Prefixes = ["/v1", ""];

    /// <summary>One route group per prefix; authenticated groups require a bearer API key.</summary>
    public static IReadOnlyList<RouteGroupBuilder> MapApiGroups(this IEndpointRouteBuilder app, string tag, bool authenticated = true)
    {
        var groups = new List<RouteGroupBuilder>(Prefixes.Length);
        foreach (var prefix in Prefixes)
        {
            var group = app.MapGroup(prefix).WithTags(tag);
            if (authenticated)
            {
                group.AddEndpointFilter<ApiKeyEndpointFilter>();
            }

            if (prefix.Length == 0)
            {
                group.ExcludeFromDescription(); // the OpenAPI document lists the /v1 paths once
            }

            groups.Add(group);
        }

        return groups;
    }
}

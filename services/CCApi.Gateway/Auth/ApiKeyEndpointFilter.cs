namespace CCApi.Gateway.Auth;

/// <summary>
/// Bearer API key check for every public route group except signed file URLs and health. A missing or unknown key
/// answers the documented 401 (<c>invalid_request_error</c> / <c>unauthorized</c>), and so do revoked and expired keys
/// and the admin key (it is not a client key).
/// </summary>
public sealed class ApiKeyEndpointFilter(ApiKeyStore keys) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var token = ParseBearer(http.Request.Headers.Authorization.ToString());
        if (token is null)
        {
            throw ApiException.Unauthorized();
        }

        var caller = await keys.AuthenticateAsync(token);
        http.Features.Set(caller);
        return await next(context);
    }

    /// <summary>The token of "Bearer &lt;token&gt;" (scheme case-insensitive), or null.</summary>
    public static string? ParseBearer(string header)
    {
        const string Scheme = "Bearer ";
        if (header.Length <= Scheme.Length || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = header.AsSpan(Scheme.Length).Trim();
        return token.IsEmpty || token.Length > 512 ? null : token.ToString();
    }
}

public static class ApiCallerExtensions
{
    /// <summary>The caller the API key filter authenticated; only call from authenticated routes.</summary>
    public static ApiCaller GetCaller(this HttpContext context) =>
        context.Features.Get<ApiCaller>() ?? throw ApiException.Unauthorized();
}

using System.Security.Cryptography;
using System.Text;
using CCApi.Gateway.Accounts;
using StackExchange.Redis;

namespace CCApi.Gateway.Auth;

/// <summary>
/// Bearer check of /admin/v1: only <see cref="AuthOptions.AdminApiKey"/> passes (client keys get 401). Only its SHA-256
/// is kept, and the comparison takes the same time wherever the presented key differs. Redis failures behind admin
/// routes become 503 with the error object.
/// </summary>
public sealed class AdminKeyEndpointFilter(IOptions<AuthOptions> options) : IEndpointFilter
{
    private readonly byte[]? _adminHash = string.IsNullOrEmpty(options.Value.AdminApiKey)
        ? null
        : SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.AdminApiKey));

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var token = ApiKeyEndpointFilter.ParseBearer(context.HttpContext.Request.Headers.Authorization.ToString());
        if (_adminHash is null || token is null
            || !CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(token)), _adminHash))
        {
            throw ApiException.Unauthorized();
        }

        context.HttpContext.Features.Set(AdminCaller.Instance);
        try
        {
            return await next(context);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw ApiKeyRepository.Unavailable();
        }
    }
}

/// <summary>
/// Set on a request the admin key authenticated (only <see cref="AdminKeyEndpointFilter"/> sets it): routes shared with
/// the client API, such as a job's view, events, cancel and redelivery, then serve every key's jobs.
/// </summary>
public sealed class AdminCaller
{
    public static readonly AdminCaller Instance = new();

    private AdminCaller()
    {
    }
}

public static class AdminCallerExtensions
{
    public static bool IsAdmin(this HttpContext context) => context.Features.Get<AdminCaller>() is not null;
}

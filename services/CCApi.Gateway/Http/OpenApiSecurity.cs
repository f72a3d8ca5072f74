using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace CCApi.Gateway.Http;

/// <summary>
/// The OpenAPI document's bearer schemes: <c>api_key</c> on the /v1 routes (but the signed file URLs), <c>admin_key</c>
/// on /admin/v1, both "Authorization: Bearer …".
/// </summary>
public static class OpenApiSecurity
{
    public const string ApiKey = "api_key";
    public const string AdminKey = "admin_key";

    public static void Configure(OpenApiOptions options) => options.AddDocumentTransformer((document, _, _) =>
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[ApiKey] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "A client API key (sk-ccapi-…): the bootstrap key or one created through /admin/v1/keys.",
        };
        document.Components.SecuritySchemes[AdminKey] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "The admin key (Auth__AdminApiKey); only for /admin/v1.",
        };

        foreach (var (path, item) in document.Paths)
        {
            if (path.StartsWith("/v1/files/", StringComparison.Ordinal) || item.Operations is null)
            {
                continue; // signed URLs carry their own authorization
            }

            var scheme = path.StartsWith("/admin/", StringComparison.Ordinal) ? AdminKey : ApiKey;
            foreach (var operation in item.Operations.Values)
            {
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, document)] = [] }];
            }
        }

        return Task.CompletedTask;
    });
}

namespace CCApi.Gateway.Http;

/// <summary>
/// A query parameter given more than once (<c>?limit=1&amp;limit=2</c>, <c>?provider=a&amp;provider=b</c>) is a 400 naming
/// it, on every route: no route takes repeated parameters (lists are comma-separated), and reading one as the values
/// joined with commas, or as whichever comes first, answers a question the client did not ask. A route whose query is a
/// credential (a signed file URL) answers for it itself (<see cref="Exempt"/>: a repeated signature is not the URL that was
/// signed, 403).
/// </summary>
public static class SingleQueryValues
{
    /// <summary>Endpoint metadata: the route checks its own query parameters.</summary>
    public static readonly ChecksItsOwnQuery Exempt = new();

    public static WebApplication UseSingleQueryValues(this WebApplication app)
    {
        app.Use(static (context, next) =>
        {
            if (context.Request.QueryString.HasValue && context.GetEndpoint()?.Metadata.GetMetadata<ChecksItsOwnQuery>() is null)
            {
                foreach (var (name, values) in context.Request.Query)
                {
                    if (values.Count > 1)
                    {
                        var field = name.Length <= 100 ? name : name[..100];
                        throw ApiException.BadField(field,
                            $"The query parameter '{field}' is given {values.Count} times; give it once (a list is one value, comma-separated, where a parameter takes one).");
                    }
                }
            }

            return next(context);
        });
        return app;
    }
}

/// <summary>Marks a route that checks its own query parameters (<see cref="SingleQueryValues.Exempt"/>).</summary>
public sealed class ChecksItsOwnQuery;

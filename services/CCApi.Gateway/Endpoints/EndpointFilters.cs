namespace CCApi.Gateway.Endpoints;

/// <summary>
/// <c>AddEndpointFilter&lt;TFilter&gt;()</c> builds its filter through <c>ActivatorUtilities.CreateFactory</c>, which
/// compiles an expression tree: with the typed-HttpClient factory (see <c>GatewayRegistration</c>) it was
/// what loaded System.Linq.Expressions into the gateway on the request path (2.5 MiB of mapped image after the load;
/// only fetching the OpenAPI document loads it now). Here the filter is made by plain reflection, once per endpoint from
/// the application's services, and shared by that endpoint's requests, so a filter may depend only on singletons and
/// options, as the gateway's three do (issue 10's memory budget).
/// </summary>
public static class EndpointFilters
{
    public static RouteGroupBuilder WithEndpointFilter<TFilter>(this RouteGroupBuilder group)
        where TFilter : IEndpointFilter =>
        group.AddEndpointFilterFactory((context, next) =>
        {
            var filter = ActivatorUtilities.CreateInstance<TFilter>(context.ApplicationServices);
            return invocation => filter.InvokeAsync(invocation, next);
        });
}

using CCApi.JobStatus.Jobs;
using CCApi.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CCApi.JobStatus.Endpoints;

public static class JobEndpoints
{
    /// <summary>GET /jobs/{id}: internal; the gateway answers GET /v1/images/jobs/{id} from it after checking owner_id.</summary>
    public static WebApplication MapJobEndpoints(this WebApplication app)
    {
        app.MapGroup("/jobs").WithTags("Jobs").MapGet("/{id:guid}", GetJob);
        return app;
    }

    public static async Task<Ok<JobView>> GetJob(Guid id, JobStore store) =>
        TypedResults.Ok(await store.GetAsync(id) ?? throw ApiException.NotFound($"No job '{id:N}'."));
}


namespace CCApi.Testing;

/// <summary>
/// A test that needs containers of its own (e.g. to stop and start a broker under a running service): skipped, with the
/// reason, when the tests run on test.sh's native servers (CCAPI_TEST_INFRA=native), which other assemblies share.
/// </summary>
public sealed class ContainersFactAttribute : FactAttribute
{
    public ContainersFactAttribute()
    {
        if (!TestInfrastructure.UsesContainers)
        {
            Skip = "Needs a Docker engine (CCAPI_TEST_INFRA=containers): it stops and starts its own RabbitMQ/Redis containers.";
        }
    }
}

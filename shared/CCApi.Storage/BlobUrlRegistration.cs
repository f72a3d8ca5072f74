using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CCApi.Storage;

/// <summary>
/// The one place <see cref="BlobUrlOptions"/> is bound: the gateway verifies the URLs JobStatus and the adapters sign,
/// so all of them must read and validate the same section the same way (a bad key fails the pod at start).
/// </summary>
public static class BlobUrlRegistration
{
    /// <summary>Binds and validates <c>BlobUrls</c> at start and registers the <see cref="BlobUrlSigner"/>.</summary>
    public static IServiceCollection AddBlobUrls(this IServiceCollection services)
    {
        services.AddOptions<BlobUrlOptions>().BindConfiguration(BlobUrlOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<BlobUrlSigner>();
        return services;
    }
}

using CCApi.ServiceDefaults;
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
    /// <param name="services">The host's services.</param>
    /// <param name="required">
    /// False for a process that signs only for some requests (an adapter uploading input images): the section may then be
    /// absent, but a key or origin that is set must still be valid ("set both or neither" is the caller's to check).
    /// </param>
    public static IServiceCollection AddBlobUrls(this IServiceCollection services, bool required = true)
    {
        var options = services.AddOptions<BlobUrlOptions>().BindConfiguration(BlobUrlOptions.SectionName);
        if (required)
        {
            options.ValidateAttributes(new BlobUrlOptionsValidator());
        }
        else
        {
            options
                .Validate(o => string.IsNullOrEmpty(o.SigningKey) || o.SigningKey.Length >= 32, "BlobUrls:SigningKey must be at least 32 characters.")
                .Validate(o => string.IsNullOrEmpty(o.PublicBaseUrl) || Uri.TryCreate(o.PublicBaseUrl, UriKind.Absolute, out _), "BlobUrls:PublicBaseUrl must be an absolute URL.");
        }

        options.ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<BlobUrlSigner>();
        return services;
    }
}

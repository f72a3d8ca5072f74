using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CCApi.ServiceDefaults;

/// <summary>Options validation at start without reflection.</summary>
public static class OptionsValidation
{
    /// <summary>
    /// Validates the options' DataAnnotations attributes with <paramref name="validator"/>, a class the options
    /// source generator writes at compile time (<c>[OptionsValidator] partial class XValidator : IValidateOptions&lt;X&gt;;</c>,
    /// declared beside the options). It replaces <c>ValidateDataAnnotations()</c>, which reads every property through
    /// <c>TypeDescriptor</c> (System.ComponentModel.TypeConverter and its reflection caches, ~1 MiB in each process, for a
    /// check made once). Same attributes, same failure at start, with <c>ValidateOnStart()</c>.
    /// </summary>
    public static OptionsBuilder<TOptions> ValidateAttributes<TOptions>(this OptionsBuilder<TOptions> builder, IValidateOptions<TOptions> validator)
        where TOptions : class
    {
        builder.Services.AddSingleton(validator);
        return builder;
    }
}

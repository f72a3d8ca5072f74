using System.Diagnostics;
using CCApi.Contracts;
using CCApi.Deploy.Tests.Infrastructure;
using CCApi.Testing;

namespace CCApi.Deploy.Tests;

/// <summary>
/// deploy/providers is the one list of provider adapters: it names every adapter project, agrees with the catalog,
/// the files generated from it are current, and no script or entry point keeps a list of its own.
/// </summary>
public sealed class ProviderTableTests
{
    private static readonly IReadOnlyList<ProviderRow> Rows = ProviderTable.Load(Repo.Root);

    public static TheoryData<string> Providers => new(Rows.Select(r => r.Name));

    /// <summary>The scripts and entry points that must read the table instead of naming providers.</summary>
    public static TheoryData<string> Readers => new(
        "run.sh", "test.sh", "scripts/services.sh", "scripts/infra.sh", "scripts/providers.sh", "scripts/generate-deploy.sh",
        "tests/CCApi.Emulators/Program.cs");

    [Fact]
    public void Every_adapter_project_has_a_row_and_every_row_a_project()
    {
        Rows.Select(r => r.Project).Order(StringComparer.Ordinal)
            .ShouldBe(Repo.Services.Where(s => s.IsAdapter).Select(s => s.Project).Order(StringComparer.Ordinal));
        Rows.Select(r => r.Name).ShouldBeUnique();
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void Row_kinds_are_the_job_kinds_of_the_providers_catalog_models(string provider)
    {
        var row = Rows.Single(r => r.Name == provider);
        var kinds = row.Kinds.Select(k => Enum.Parse<JobKind>(k, ignoreCase: true)).Order().ToList();
        kinds.ShouldBe(CodeFacts.CatalogKinds(provider).Order().ToList(), $"deploy/providers row of {provider} vs deploy/catalog.json");
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void Upstream_provider_has_an_emulator_and_a_base_url_variable(string provider)
    {
        var row = Rows.Single(r => r.Name == provider);
        if (!row.HasUpstream)
        {
            row.BaseUrlVariable.ShouldBeNull($"{provider} has no key variable, so no upstream to point a base URL at");
            return;
        }

        row.BaseUrlVariable.ShouldNotBeNull($"{provider}: the end-to-end tests point the adapter at its emulator through it");
        Repo.Exists($"tests/CCApi.Emulators/{row.Section}/{row.Section}Emulator.cs")
            .ShouldBeTrue($"{provider}: EmulatorCatalog finds tests/CCApi.Emulators/{row.Section}/{row.Section}Emulator.cs by convention");
    }

    [Fact]
    public async Task Files_generated_from_the_table_are_up_to_date()
    {
        var info = new ProcessStartInfo("bash") { WorkingDirectory = Repo.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Repo.PathOf("scripts/generate-deploy.sh"));
        info.ArgumentList.Add("--check");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.ShouldBe(0, await stdout + await stderr);
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public void Script_names_no_provider_of_its_own(string file)
    {
        // Code only: a comment may give an adapter as an example.
        var text = string.Join('\n', Repo.Read(file).Split('\n').Where(line => !line.TrimStart().StartsWith('#') && !line.TrimStart().StartsWith("//", StringComparison.Ordinal)));
        Rows.SelectMany(r => new[] { r.Project, r.KeyVariable, r.BaseUrlVariable }).OfType<string>()
            .Where(name => text.Contains(name, StringComparison.Ordinal))
            .ShouldBeEmpty($"{file} must read deploy/providers rather than name adapters");
    }
}

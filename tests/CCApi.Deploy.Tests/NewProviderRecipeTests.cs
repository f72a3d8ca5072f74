using System.Diagnostics;
using CCApi.Deploy.Tests.Infrastructure;

namespace CCApi.Deploy.Tests;

/// <summary>
/// The copy recipe of docs/adding-a-provider.md (scripts/new-provider.sh), applied to a copy of this repository: the new
/// adapter, its test project and its emulator build, its copied unit tests pass, and it is discovered — run.sh's and
/// test.sh's table, the generated compose and k8s files, the emulator entry point — without any script edited.
/// </summary>
public sealed class NewProviderRecipeTests : IDisposable
{
    private static readonly HashSet<string> Skipped = new(StringComparer.Ordinal) { "bin", "obj", ".data", ".git", "TestResults" };

    private readonly string _root = Directory.CreateTempSubdirectory("ccapi-recipe-").FullName;

    [Fact]
    public async Task A_provider_copied_by_the_recipe_builds_and_is_discovered_without_editing_a_script()
    {
        CopyRepository(Repo.Root, _root);
        var scripts = new[] { "run.sh", "test.sh", "scripts/providers.sh", "scripts/generate-deploy.sh", "tests/CCApi.Emulators/Program.cs" }
            .ToDictionary(f => f, f => File.ReadAllText(Path.Combine(_root, f)));

        await RunAsync("bash", "scripts/new-provider.sh", "Acme", "ACME_API_KEY", "ACME_BASE_URL");

        foreach (var (file, before) in scripts)
        {
            File.ReadAllText(Path.Combine(_root, file)).ShouldBe(before, $"{file} changed");
        }

        (await RunAsync("bash", "-c", "CCAPI_ROOT=$PWD; source scripts/providers.sh; providers_load; echo \"${PROVIDER_NAMES[*]}\""))
            .Split(' ', StringSplitOptions.TrimEntries).ShouldContain("acme", "run.sh and test.sh read the adapters from deploy/providers");
        await RunAsync("bash", "scripts/generate-deploy.sh", "--check");
        File.Exists(Path.Combine(_root, "k8s/base/adapters/acme/deployment.yaml")).ShouldBeTrue();
        File.ReadAllText(Path.Combine(_root, "docker-compose.yml")).ShouldContain("  adapter-acme:\n");
        File.ReadAllText(Path.Combine(_root, "CCApi.Platform.sln")).ShouldContain("CCApi.Adapters.Acme.Tests.csproj");

        await RunAsync("dotnet", "build", "tests/CCApi.Adapters.Acme.Tests/CCApi.Adapters.Acme.Tests.csproj", "-c", "Release", "-nologo", "-clp:ErrorsOnly", "-v:q");
        await RunAsync("dotnet", "test", "tests/CCApi.Adapters.Acme.Tests/CCApi.Adapters.Acme.Tests.csproj", "-c", "Release", "--no-build", "-nologo",
            "--filter", "FullyQualifiedName~.Unit.");
        var usage = await RunAsync("dotnet", ["tests/CCApi.Emulators/bin/Release/net10.0/CCApi.Emulators.dll"], expectedExitCode: 2);
        usage.ShouldContain("acme", customMessage: "the emulator entry point finds AcmeEmulator");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static void CopyRepository(string from, string to)
    {
        foreach (var directory in Directory.EnumerateDirectories(from))
        {
            if (!Skipped.Contains(Path.GetFileName(directory)))
            {
                CopyRepository(directory, Directory.CreateDirectory(Path.Combine(to, Path.GetFileName(directory))).FullName);
            }
        }

        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    private Task<string> RunAsync(string program, params string[] arguments) => RunAsync(program, arguments, expectedExitCode: 0);

    /// <summary>Runs a program in the copy (without the test host's MSBuild variables) and answers its output.</summary>
    private async Task<string> RunAsync(string program, string[] arguments, int expectedExitCode)
    {
        var info = new ProcessStartInfo(program) { WorkingDirectory = _root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var variable in info.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(variable);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = await stdout + await stderr;
        process.ExitCode.ShouldBe(expectedExitCode, $"{program} {string.Join(' ', arguments)}:\n{output}");
        return output;
    }
}

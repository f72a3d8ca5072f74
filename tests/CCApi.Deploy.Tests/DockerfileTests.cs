using CCApi.Deploy.Tests.Infrastructure;

namespace CCApi.Deploy.Tests;

/// <summary>deploy/Dockerfile builds every service project, with what restore and publish need, into a non-root image on 8080.</summary>
public sealed class DockerfileTests
{
    private static readonly Dockerfile Docker = Dockerfile.Instance;

    /// <summary>Files restore reads besides the project files, wherever they sit between the root and a project.</summary>
    private static readonly string[] RestoreInputs = ["global.json", "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "NuGet.config", "nuget.config"];

    public static TheoryData<string> ServiceProjects => new(Repo.Services.Select(s => s.Project));

    private static Stage Build => Docker.Stage("build");

    private static Instruction Restore => Build.All("RUN").Single(r => r.Arguments.Contains("dotnet restore", StringComparison.Ordinal));

    private static Instruction Publish => Build.All("RUN").Single(r => r.Arguments.Contains("dotnet publish", StringComparison.Ordinal));

    /// <summary>COPY instructions of the build stage before (true) or after (false) the restore step.</summary>
    private static IEnumerable<Instruction> Copies(bool beforeRestore)
    {
        var index = Build.Instructions.ToList().IndexOf(Restore);
        return Build.Instructions.Where((i, n) => i.Keyword == "COPY" && (n < index) == beforeRestore);
    }

    private static string For(string text, string project) => text.Replace("${SERVICE}", project, StringComparison.Ordinal);

    [Fact]
    public void SERVICE_argument_defaults_to_an_existing_service_project()
    {
        Docker.GlobalArgs.Keys.ShouldContain("SERVICE");
        Repo.Services.Select(s => s.Project).ShouldContain(Docker.GlobalArgs["SERVICE"]);
        Build.All("ARG").Select(a => a.Arguments).ShouldContain("SERVICE", "the build stage must re-declare ARG SERVICE to use it");
        Docker.Final.All("ARG").Select(a => a.Arguments).ShouldContain("SERVICE", "the final stage must re-declare ARG SERVICE to use it");
    }

    [Theory]
    [MemberData(nameof(ServiceProjects))]
    public void Restores_and_publishes_the_project_the_SERVICE_argument_names(string project)
    {
        var service = Repo.Service(project);
        Restore.Arguments.ShouldContain("\"services/${SERVICE}/${SERVICE}.csproj\"");
        Publish.Arguments.ShouldContain("\"services/${SERVICE}/${SERVICE}.csproj\"");
        Repo.Exists(For("services/${SERVICE}/${SERVICE}.csproj", project)).ShouldBeTrue();
        service.Csproj.Root!.Attribute("Sdk")!.Value.ShouldBe("Microsoft.NET.Sdk.Web", "every service is a web host (health endpoints) on the aspnet runtime image");

        // The entrypoint runs <SERVICE>.dll: an <AssemblyName> override would make the image start nothing.
        service.Csproj.Descendants("AssemblyName").ShouldBeEmpty($"{project} must keep its assembly name = folder name");
        Docker.Final.All("ENV").Select(e => e.Arguments).ShouldContain(e => e.Contains("CCAPI_SERVICE=${SERVICE}", StringComparison.Ordinal));
        Docker.Final.All("ENTRYPOINT").Single().Arguments.ShouldContain("/app/${CCAPI_SERVICE}.dll");
    }

    [Theory]
    [MemberData(nameof(ServiceProjects))]
    public void Restore_layer_holds_every_project_and_props_file_the_service_needs(string project)
    {
        var copied = Copies(beforeRestore: true).SelectMany(Dockerfile.ContextSources).ToList();
        var problems = new List<string>();
        foreach (var csproj in Repo.Service(project).ProjectClosure())
        {
            if (!copied.Any(glob => Glob.Matches(glob, csproj)))
            {
                problems.Add($"{csproj} is not copied before `dotnet restore` (globs: {string.Join(", ", copied)})");
            }

            // Directory.Build.props & co. apply to every project below them: each one on the way up must be copied too.
            for (var dir = Path.GetDirectoryName(csproj)!.Replace('\\', '/'); ; dir = Path.GetDirectoryName(dir)!.Replace('\\', '/'))
            {
                foreach (var input in RestoreInputs.Select(f => dir.Length == 0 ? f : $"{dir}/{f}").Where(ExistsInRepo))
                {
                    if (!copied.Any(glob => Glob.Matches(glob, input)))
                    {
                        problems.Add($"{input} affects restore of {csproj} but is not copied before `dotnet restore`");
                    }
                }

                if (dir.Length == 0)
                {
                    break;
                }
            }
        }

        problems.ShouldBeEmpty();

        static bool ExistsInRepo(string relative) => File.Exists(Repo.PathOf(relative));
    }

    [Fact]
    public void Restore_layer_copies_only_restore_inputs_so_source_edits_keep_it_cached()
    {
        Copies(beforeRestore: true).SelectMany(Dockerfile.ContextSources)
            .Where(source => !source.EndsWith(".csproj", StringComparison.Ordinal) && !RestoreInputs.Contains(Path.GetFileName(source)))
            .ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(ServiceProjects))]
    public void Source_copy_holds_every_project_the_service_references(string project)
    {
        var folders = Copies(beforeRestore: false).SelectMany(Dockerfile.ContextSources).Select(s => For(s, project).TrimEnd('/') + "/").ToList();
        Repo.Service(project).ProjectClosure()
            .Where(csproj => !folders.Any(f => csproj.StartsWith(f, StringComparison.Ordinal)))
            .ShouldBeEmpty($"copied source folders: {string.Join(", ", folders)}");
    }

    [Theory]
    [MemberData(nameof(ServiceProjects))]
    public void Everything_copied_from_the_context_exists_and_is_not_dockerignored(string project)
    {
        var problems = new List<string>();
        foreach (var source in Docker.Stages.SelectMany(s => s.All("COPY")).SelectMany(Dockerfile.ContextSources).Select(s => For(s, project)))
        {
            var literal = source.Split('/').TakeWhile(segment => !segment.Contains('*', StringComparison.Ordinal)).ToArray();
            var fixedPart = string.Join('/', literal).TrimEnd('/');
            if (fixedPart.Length > 0 && !Repo.Exists(fixedPart))
            {
                problems.Add($"{source}: {fixedPart} does not exist");
            }

            if (fixedPart.Length > 0 && DockerIgnore.Excludes(fixedPart))
            {
                problems.Add($"{source}: excluded by .dockerignore");
            }
        }

        foreach (var csproj in Repo.Service(project).ProjectClosure().Where(DockerIgnore.Excludes))
        {
            problems.Add($"{csproj} is referenced by {project} but excluded from the build context by .dockerignore");
        }

        problems.ShouldBeEmpty();
    }

    [Fact]
    public void Runtime_image_runs_as_the_non_root_app_user()
    {
        var user = Docker.RuntimeChain(Docker.GlobalArgs["RUNTIME"]!).SelectMany(s => s.All("USER")).First().Arguments;
        user.ShouldBe("$APP_UID", "numeric uid of the .NET images' non-root user, so Kubernetes' runAsNonRoot can verify it");
    }

    [Fact]
    public void Runtime_image_listens_on_8080_even_though_appsettings_sets_other_ports()
    {
        Docker.Final.All("EXPOSE").Select(e => e.Arguments).ShouldBe(["8080"]);

        // appsettings.json "Urls" beats ASPNETCORE_URLS; only an unprefixed Urls variable beats appsettings.
        var env = Docker.Final.All("ENV").SelectMany(e => Dockerfile.SplitArguments(e.Arguments)).ToList();
        env.ShouldContain("Urls=http://+:8080");
        env.ShouldContain("ASPNETCORE_URLS=http://+:8080");
    }

    [Fact]
    public void Image_healthcheck_probes_liveness_never_readiness()
    {
        var healthcheck = Docker.Final.All("HEALTHCHECK").Single().Arguments;
        healthcheck.ShouldContain("/health/live");
        healthcheck.ShouldNotContain("/health/ready");
        var script = Dockerfile.SplitArguments(healthcheck[healthcheck.IndexOf("CMD", StringComparison.Ordinal)..][3..].Trim())[0];
        Docker.Final.All("COPY").ShouldContain(c => c.Arguments.EndsWith(" " + script, StringComparison.Ordinal) && c.Arguments.Contains("deploy/healthcheck.sh", StringComparison.Ordinal));
    }

    [Fact]
    public void Runtime_stages_are_aspnet_images_of_the_sdk_version_used_to_build()
    {
        Docker.Stage("build").From.ShouldBe("mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION}");
        Docker.Stage("runtime-base").From.ShouldBe("mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}");
        var sdk = System.Text.Json.JsonDocument.Parse(Repo.Read("global.json")).RootElement.GetProperty("sdk").GetProperty("version").GetString()!;
        sdk.ShouldStartWith(Docker.GlobalArgs["DOTNET_VERSION"] + ".");
    }

    /// <summary>Programs services start, and the Debian/Ubuntu package that provides each.</summary>
    private static readonly Dictionary<string, string> ToolPackages = new(StringComparer.Ordinal)
    {
        ["espeak-ng"] = "espeak-ng",
        ["lame"] = "lame",
        ["oggenc"] = "vorbis-tools",
        ["opusenc"] = "opus-tools",
        ["flac"] = "flac",
    };

    [Fact]
    public void Every_external_program_a_service_starts_is_installed_in_the_runtime_its_compose_build_selects()
    {
        var problems = new List<string>();
        foreach (var service in Repo.Services)
        {
            var tools = CodeFacts.ExternalTools(service);
            if (tools.Count == 0)
            {
                continue;
            }

            var composeService = Compose.BuiltProjects.Single(b => b.Value == service.Project).Key;
            var runtime = Compose.Services[composeService].Str("build", "args", "RUNTIME") ?? Docker.GlobalArgs["RUNTIME"]!;
            var installs = string.Join(" ", Docker.RuntimeChain(runtime).SelectMany(s => s.All("RUN")).Select(r => r.Arguments)
                .Where(r => r.Contains("apt-get install", StringComparison.Ordinal)));
            var packages = installs.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
            foreach (var tool in tools)
            {
                if (!ToolPackages.TryGetValue(tool, out var package))
                {
                    problems.Add($"{service} starts '{tool}': add its package to deploy/Dockerfile and to this test's map");
                }
                else if (!packages.Contains(package))
                {
                    problems.Add($"{service} starts '{tool}' but RUNTIME={runtime} does not install package '{package}'");
                }
            }
        }

        problems.ShouldBeEmpty();
    }
}

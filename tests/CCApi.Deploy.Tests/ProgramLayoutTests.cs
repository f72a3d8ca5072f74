using CCApi.Deploy.Tests.Infrastructure;

namespace CCApi.Deploy.Tests;

/// <summary>
/// Every service's Program.cs reads as a table of contents (conventions): at most 25 lines, the registrations living in
/// the extension methods they name. A Program.cs that grows past it is the sign a registration belongs in one.
/// </summary>
public sealed class ProgramLayoutTests
{
    public static TheoryData<string> Projects => new(Repo.Services.Select(s => s.Project));

    [Theory]
    [MemberData(nameof(Projects))]
    public void Program_cs_is_at_most_25_lines(string project)
    {
        var lines = File.ReadAllLines(Repo.PathOf($"services/{project}/Program.cs"));

        lines.Length.ShouldBeLessThanOrEqualTo(25, $"services/{project}/Program.cs");
    }
}

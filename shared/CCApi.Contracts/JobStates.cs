using System.Globalization;

namespace CCApi.Contracts;

/// <summary>One row of <see cref="JobStates.All"/>: a state's wire name, its rank and whether it ends the job.</summary>
public sealed record JobStateInfo(JobState State, string Name, int Rank, bool IsTerminal);

/// <summary>
/// The one table of job states: name (as stored in Redis and served in every view), rank (a transition never lowers
/// it) and terminality. The JobStatus Lua script, the job views, <c>JobChange</c>, the gateway and the adapters all read
/// it from here.
/// </summary>
public static class JobStates
{
    public const string Pending = "pending";
    public const string Processing = "processing";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Canceled = "canceled";

    /// <summary>The rank every terminal state has: the first terminal state reached is the last state.</summary>
    public const int TerminalRank = 2;

    public static IReadOnlyList<JobStateInfo> All { get; } =
    [
        new(JobState.Pending, Pending, 0, false),
        new(JobState.Processing, Processing, 1, false),
        new(JobState.Completed, Completed, TerminalRank, true),
        new(JobState.Failed, Failed, TerminalRank, true),
        new(JobState.Canceled, Canceled, TerminalRank, true),
    ];

    public static JobStateInfo Of(JobState state) =>
        All.FirstOrDefault(s => s.State == state) ?? throw new ArgumentOutOfRangeException(nameof(state), state, null);

    public static string Name(JobState state) => Of(state).Name;

    public static int Rank(JobState state) => Of(state).Rank;

    public static bool IsTerminal(JobState state) => Of(state).IsTerminal;

    /// <summary>True for the name of a terminal state; false for any other string, null included.</summary>
    public static bool IsTerminal(string? name) => TryParse(name, out var state) && IsTerminal(state);

    public static bool TryParse(string? name, out JobState state)
    {
        foreach (var info in All)
        {
            if (string.Equals(info.Name, name, StringComparison.Ordinal))
            {
                state = info.State;
                return true;
            }
        }

        state = default;
        return false;
    }

    /// <summary>The table as a Lua table constructor, e.g. <c>{ pending = 0, processing = 1, … }</c>, for Redis scripts.</summary>
    public static string LuaRanks { get; } = "{ " + string.Join(", ", All.Select(s => s.Name + " = " + s.Rank.ToString(CultureInfo.InvariantCulture))) + " }";
}

using CCApi.Contracts;
using MassTransit;

namespace CCApi.Testing.Adapters;

/// <summary>How a job ended: its result or its JobFailed (see <see cref="AdapterHost.RunJobAsync"/>).</summary>
public sealed record JobOutcome(IJobCommand Command, IJobResult? Result, JobFailed? Failed)
{
    public static JobOutcome Of<TResult>(IJobCommand command, Response<TResult, JobFailed> response)
        where TResult : class, IJobResult
    {
        return response.Is(out Response<JobFailed>? failed)
            ? new JobOutcome(command, null, failed!.Message)
            : new JobOutcome(command, response.Is(out Response<TResult>? result) ? result!.Message : null, null);
    }

    /// <summary>The result, for this job, complete (an image job has every image it asked for); fails the test otherwise.</summary>
    public IJobResult ShouldHaveSucceeded()
    {
        Failed.ShouldBeNull(Failed is null ? "" : $"JobFailed {Failed.Error.Status} {Failed.Error.Code}: {Failed.Error.Message}");
        var result = Result.ShouldNotBeNull();
        result.JobId.ShouldBe(Command.JobId);
        if (result is ImageGenerated generated && Command is GenerateImage asked)
        {
            generated.Images.Count.ShouldBe(asked.NumImages);
        }

        return result;
    }

    /// <summary>The CCAPI error this job failed with; fails the test when it succeeded.</summary>
    public ErrorInfo ShouldHaveFailed()
    {
        Result.ShouldBeNull("expected JobFailed");
        var failed = Failed.ShouldNotBeNull("expected JobFailed");
        failed.JobId.ShouldBe(Command.JobId);
        return failed.Error;
    }
}

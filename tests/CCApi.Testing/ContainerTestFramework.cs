using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace CCApi.Testing;

/// <summary>
/// xUnit's own framework, plus one step after the assembly's last test and before it reports itself finished: this
/// process's broker and Redis containers are removed. A process-exit handler alone is not enough, since the test host
/// may be ended by the runner while it is still running. Declared by every test project that references this one
/// (tests/Directory.Build.targets).
/// </summary>
public sealed class ContainerTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
        new Executor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Executor(AssemblyName assemblyName, ISourceInformationProvider sourceInformationProvider, IMessageSink diagnosticMessageSink)
        : XunitTestFrameworkExecutor(assemblyName, sourceInformationProvider, diagnosticMessageSink)
    {
        protected override async void RunTestCases(IEnumerable<IXunitTestCase> testCases, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        {
            using var runner = new Runner(TestAssembly, testCases, DiagnosticMessageSink, executionMessageSink, executionOptions);
            await runner.RunAsync();
        }
    }

    private sealed class Runner(ITestAssembly testAssembly, IEnumerable<IXunitTestCase> testCases, IMessageSink diagnosticMessageSink,
        IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        : XunitTestAssemblyRunner(testAssembly, testCases, diagnosticMessageSink, executionMessageSink, executionOptions)
    {
        protected override async Task BeforeTestAssemblyFinishedAsync()
        {
            await TestContainers.DisposeForThisProcessAsync();
            await base.BeforeTestAssemblyFinishedAsync();
        }
    }
}

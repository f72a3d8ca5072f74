using System.Diagnostics;
using System.Reflection;

namespace CCApi.Testing;

/// <summary>One service process with its captured output.</summary>
public sealed class ServiceProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    private ServiceProcess(string name, int port, Process process)
    {
        Name = name;
        Port = port;
        _process = process;
    }

    public string Name { get; }
    public int Port { get; }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts services/<paramref name="name"/> as test.sh built it (bin/&lt;configuration&gt;/net10.0, the configuration
    /// of the test build) in Production, listening on <paramref name="port"/> only; <paramref name="environment"/> gets
    /// those two settings added.
    /// </summary>
    public static ServiceProcess Start(string repoRoot, string name, int port, IDictionary<string, string> environment)
    {
        environment["Urls"] = $"http://127.0.0.1:{port}";
        environment["DOTNET_ENVIRONMENT"] = "Production";
        var directory = Path.Combine(repoRoot, "services", name);
        var dll = Path.Combine(directory, "bin", Configuration, "net10.0", name + ".dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{dll} does not exist: build the solution in {Configuration} first (test.sh does).");
        }

        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var service = new ServiceProcess(name, port, process);
        process.OutputDataReceived += (_, e) => service.Append(e.Data);
        process.ErrorDataReceived += (_, e) => service.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    private static string Configuration =>
        Environment.GetEnvironmentVariable("CCAPI_CONFIGURATION")
        ?? typeof(ServiceProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration
        ?? "Debug";

    /// <summary>Whether the service on <paramref name="port"/> answers /health/ready with success right now (false while it cannot be reached).</summary>
    public static async Task<bool> IsReadyAsync(HttpClient http, int port)
    {
        try
        {
            using var response = await http.GetAsync($"http://127.0.0.1:{port}/health/ready");
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Waits (60 s at most) until the service is ready. Throws with its output when it exits first, and with
    /// <paramref name="logs"/> (every process of the platform) when the time is over.
    /// </summary>
    public async Task WaitReadyAsync(Func<string> logs)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var ready = await TestInfrastructure.EventuallyAsync(
            async () => HasExited
                ? throw new InvalidOperationException($"{Name} exited with {ExitCode}.\n{Output}")
                : await IsReadyAsync(http, Port),
            TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200));
        if (!ready)
        {
            throw new InvalidOperationException($"{Name} was not ready within 60 s.\n{logs()}");
        }
    }

    /// <summary>The process id (for signals a test sends itself, e.g. SIGKILL).</summary>
    public int Id => _process.Id;

    public void Stop()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: the host stops gracefully (bus stop, span flush).
            Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
        }
    }

    /// <summary>
    /// Freezes the process (SIGSTOP): its connections stay open, so the broker still counts its consumers and delivers to
    /// it, but it handles nothing until <see cref="Resume"/> (SIGCONT).
    /// </summary>
    public void Pause() => Signal("-STOP");

    public void Resume() => Signal("-CONT");

    private void Signal(string signal)
    {
        if (!_process.HasExited)
        {
            Process.Start("kill", [signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
        }
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    public void Dispose() => _process.Dispose();

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 200_000)
            {
                _output.AppendLine(line);
            }
        }
    }
}

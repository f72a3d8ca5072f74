using System.Diagnostics;
using System.Runtime.InteropServices;

namespace CCApi.Fuzz.Tests;

/// <summary>
/// A RabbitMQ node or Redis server of one test class alone — its own ports, data directory and node name, started from
/// Debian's binaries as scripts/infra.sh starts them — that a test may stop and start again at the same address (a
/// broker or Redis restart) without touching the servers other test assemblies share. Stopping is orderly, so what the
/// node or server persists survives, as in production: RabbitMQ gets SIGTERM, as Kubernetes and Docker stop it (the node
/// stops its applications and closes every connection, as <c>rabbitmqctl stop</c> makes it do), Redis <c>SHUTDOWN</c>.
/// Not <c>rabbitmqctl stop</c>: the CLI boots an Erlang VM of its own first, and on a machine busy with the rest of the
/// fuzz suite the stop took 7–40 s that way (SIGTERM: 1.3 s), eating the restart test's time limits.
/// </summary>
public sealed partial class NativeServer : IAsyncDisposable
{
    private const int SigTerm = 15;

    private const string RabbitMqBin = "/usr/lib/rabbitmq/bin"; // Debian's /usr/sbin wrappers switch to the rabbitmq user

    private readonly string _name;
    private readonly Func<ProcessStartInfo> _start;
    private readonly Func<ProcessStartInfo>? _stop;
    private Process? _process;
    private readonly System.Text.StringBuilder _output = new();

    /// <param name="stop">The command that stops the server; null: SIGTERM to its process.</param>
    private NativeServer(string name, int port, Func<ProcessStartInfo> start, Func<ProcessStartInfo>? stop)
    {
        _name = name;
        Port = port;
        _start = start;
        _stop = stop;
    }

    public int Port { get; }

    /// <summary>A private RabbitMQ node on a free port: guest/guest on loopback, default virtual host "/".</summary>
    public static NativeServer RabbitMq(string dataDirectory)
    {
        var port = TestInfrastructure.FreePort();
        var node = $"ccapi-fault-{port}@localhost";
        var dir = Path.Combine(dataDirectory, $"rabbitmq-{port}");
        Directory.CreateDirectory(Path.Combine(dir, "mnesia"));
        Directory.CreateDirectory(Path.Combine(dir, "log"));
        File.WriteAllText(Path.Combine(dir, "enabled_plugins"), "[].");
        File.WriteAllText(Path.Combine(dir, "advanced.config"), "[].");
        File.WriteAllText(Path.Combine(dir, "rabbitmq.conf"), $"listeners.tcp.default = 127.0.0.1:{port}\nloopback_users.guest = true\n");
        var environment = new Dictionary<string, string>
        {
            ["RABBITMQ_NODENAME"] = node,
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = TestInfrastructure.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(dir, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(dir, "log"),
            ["RABBITMQ_FEATURE_FLAGS_FILE"] = Path.Combine(dir, "feature_flags"),
            ["RABBITMQ_PID_FILE"] = Path.Combine(dir, "rabbitmq.pid"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(dir, "enabled_plugins"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(dir, "rabbitmq"),
            ["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(dir, "advanced.config"),
            ["ERL_CRASH_DUMP"] = Path.Combine(dir, "erl_crash.dump"),
        };
        return new NativeServer("RabbitMQ", port, () => Info(Binary(RabbitMqBin, "rabbitmq-server"), dir, environment), stop: null);
    }

    /// <summary>A private Redis on a free port with run.sh's persistence: an append-only file, fsync every second.</summary>
    public static NativeServer Redis(string dataDirectory)
    {
        var port = TestInfrastructure.FreePort();
        var dir = Path.Combine(dataDirectory, $"redis-{port}");
        Directory.CreateDirectory(dir);
        var portText = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new NativeServer("Redis", port,
            () => Info("redis-server", dir, new Dictionary<string, string>(), "--port", portText, "--bind", "127.0.0.1", "--dir", dir,
                "--save", "", "--appendonly", "yes", "--appendfsync", "everysec"),
            () => Info("redis-cli", dir, new Dictionary<string, string>(), "-p", portText, "shutdown"));
    }

    public async Task StartAsync()
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException($"{_name} is already running.");
        }

        _process = new Process { StartInfo = _start(), EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var listening = await TestInfrastructure.EventuallyAsync(() => Task.FromResult(_process.HasExited || TestInfrastructure.PortOpen(Port)),
            TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(100));
        if (!listening || _process.HasExited)
        {
            throw new InvalidOperationException($"{_name} did not start on 127.0.0.1:{Port}.\n{Output}");
        }
    }

    /// <summary>Stops the server the operator's way and waits until its process is gone and its port closed.</summary>
    public async Task StopAsync()
    {
        if (_process is null || _process.HasExited)
        {
            return;
        }

        if (_stop is null)
        {
            // Debian's rabbitmq-server script, run in the foreground, traps SIGTERM and passes it to the node, then exits
            // when the node has stopped (the way it is stopped in a container).
            if (Kill(_process.Id, SigTerm) != 0)
            {
                throw new InvalidOperationException($"{_name} could not be sent SIGTERM (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        else
        {
            using var stop = Process.Start(_stop())!;
            await stop.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
        (await TestInfrastructure.EventuallyAsync(() => Task.FromResult(!TestInfrastructure.PortOpen(Port)), TimeSpan.FromSeconds(10)))
            .ShouldBeTrue($"{_name} still listens on {Port} after it stopped");
    }

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

    public async ValueTask DisposeAsync()
    {
        if (_process is null)
        {
            return;
        }

        try
        {
            await StopAsync();
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            _process.Kill(entireProcessTree: true); // never leave a server behind
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private static string Binary(string directory, string name) =>
        File.Exists(Path.Combine(directory, name)) ? Path.Combine(directory, name) : name;

    private static ProcessStartInfo Info(string file, string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // rabbitmqctl must not read the test runner's stdin
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        return info;
    }
}

using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace CCApi.EndToEnd.Tests;

/// <summary>
/// ./run.sh as an operator runs it (on spare ports, starting its own broker and Redis): an adapter killed
/// with SIGKILL is restarted by its supervisor and comes back ready while the rest keeps running; SIGTERM to run.sh
/// then stops every process it started and nothing else (issue 11: one adapter dying used to stop the whole platform).
/// Bounded by generous time limits; nothing in it is a timing claim.
/// </summary>
public sealed class RunScriptSupervisionTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    /// <summary>The variables whose values run.sh makes up when they are not set.</summary>
    private static readonly string[] MadeUp = ["CCAPI_BOOTSTRAP_API_KEY", "CCAPI_ADMIN_API_KEY", "CCAPI_SIGNING_KEY", "CCAPI_WEBHOOK_SECRET"];

    [Fact]
    public async Task Run_sh_restarts_a_killed_adapter_and_stops_exactly_what_it_started_on_SIGTERM()
    {
        var root = TestInfrastructure.RepoRoot;
        var dataDir = Directory.CreateTempSubdirectory("ccapi-runsh-").FullName;
        var port = CCApi.Emulators.LoopbackPorts.ClaimBlock(15); // run.sh uses the gateway port + 0…14
        // run.sh starts its own broker and Redis on spare ports (its RabbitMQ node also takes AMQP port + 20000), so
        // the test sees it stop them; the test's own broker and Redis must survive it.
        // Below the ephemeral range (32768+ on Linux), so no outgoing connection takes them between check and use.
        var amqpPort = FreePort(10_000, 12_700, p => IsFree(p + 20_000));
        var redisPort = FreePort(12_700, 15_000, _ => true);
        var testBrokerPort = new Uri(TestInfrastructure.RabbitMqBase).Port;
        var testRedisPort = int.Parse(TestInfrastructure.RedisEndpoint.Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture);
        var pidFile = Path.Combine(dataDir, "services.pids");

        var info = new ProcessStartInfo("bash") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(root, "run.sh"));
        info.Environment["CCAPI_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["CCAPI_AMQP_PORT"] = amqpPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["CCAPI_REDIS_PORT"] = redisPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["CCAPI_DATA_DIR"] = dataDir;
        info.Environment["CCAPI_SKIP_BUILD"] = "1";
        // No provider key from the environment: only the adapters that need none start (deploy/providers).
        foreach (var key in ProviderTable.Load(root).Select(p => p.KeyVariable).OfType<string>().Append("CCAPI_ADAPTERS_ALLOW_PRIVATE").Concat(MadeUp))
        {
            info.Environment.Remove(key);
        }

        var output = new StringBuilder();
        using var runSh = new Process { StartInfo = info };
        runSh.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        runSh.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        runSh.Start();
        runSh.BeginOutputReadLine();
        runSh.BeginErrorReadLine();
        string Output()
        {
            // What run.sh printed, and the end of the broker's own output when it is there (why it did not start).
            var broker = Path.Combine(dataDir, $"rabbitmq-{amqpPort}", "stdout.log");
            var tail = File.Exists(broker) ? "\n--- " + broker + ":\n" + string.Join('\n', File.ReadLines(broker).TakeLast(30)) : "";
            lock (output)
            {
                return output + tail;
            }
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        Task<bool> ReadyAsync(int p) => ServiceProcess.IsReadyAsync(http, p);

        var adapterPort = port + 10;
        try
        {
            (await TestInfrastructure.EventuallyAsync(async () => runSh.HasExited || await ReadyAsync(port), Patience, TimeSpan.FromMilliseconds(250)))
                .ShouldBeTrue("the gateway never became ready:\n" + Output());
            runSh.HasExited.ShouldBeFalse("run.sh exited:\n" + Output());
            (await ReadyAsync(adapterPort)).ShouldBeTrue(Output());

            var killed = CurrentPid(pidFile, "CCApi.Adapters.Local");
            Process.GetProcessById(killed).Kill(); // SIGKILL

            (await TestInfrastructure.EventuallyAsync(
                async () => CurrentPid(pidFile, "CCApi.Adapters.Local") != killed && await ReadyAsync(adapterPort), Patience, TimeSpan.FromMilliseconds(250)))
                .ShouldBeTrue("the adapter did not come back:\n" + Output());
            runSh.HasExited.ShouldBeFalse("run.sh stopped the platform when one adapter died:\n" + Output());
            (await ReadyAsync(port)).ShouldBeTrue("the gateway kept running");
            Output().ShouldContain($"CCApi.Adapters.Local (pid {killed}) died");
            Output().ShouldContain("signal 9 (KILL)");

            var started = File.ReadAllLines(pidFile).Select(line => int.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            started.Count.ShouldBeGreaterThanOrEqualTo(5); // catalog, jobstatus, the adapter twice, gateway

            Signal(runSh.Id, "TERM");
            using (var stop = new CancellationTokenSource(Patience))
            {
                await runSh.WaitForExitAsync(stop.Token);
            }

            // Processes signalled a moment ago may take a little while to disappear: wait for it (bounded), then judge.
            await TestInfrastructure.EventuallyAsync(
                () => Task.FromResult(!started.Any(IsRunningAService) && ProcessesWithEnvironment($"CCAPI_DATA_DIR={dataDir}").Count == 0), Patience);
            started.Where(IsRunningAService).ShouldBeEmpty("service processes left after run.sh stopped:\n" + Output());
            ProcessesWithEnvironment($"CCAPI_DATA_DIR={dataDir}").ShouldBeEmpty("processes started by run.sh (services, broker, Redis) left behind:\n" + Output());
            TestInfrastructure.PortOpen(amqpPort).ShouldBeFalse("run.sh stops the broker it started");
            TestInfrastructure.PortOpen(redisPort).ShouldBeFalse("run.sh stops the Redis it started");
            TestInfrastructure.PortOpen(testBrokerPort).ShouldBeTrue("run.sh stops nothing it did not start");
            TestInfrastructure.PortOpen(testRedisPort).ShouldBeTrue("run.sh stops nothing it did not start");

            // The keys it made up and printed are kept for its next run (the data it keeps outlives it), for its user alone,
            // and the next run takes them rather than making new ones (here one that stops at a bad setting).
            var secrets = Path.Combine(dataDir, "secrets.env");
            if (OperatingSystem.IsLinux())
            {
                File.GetUnixFileMode(secrets).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            var kept = await File.ReadAllTextAsync(secrets);
            var printed = System.Text.RegularExpressions.Regex.Match(Output(), @"API key:\s+(\S+)").Groups[1].Value;
            kept.ShouldContain($"API_KEY={printed}\n");
            kept.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('=')[0]).Order(StringComparer.Ordinal)
                .ShouldBe(["ADMIN_KEY", "API_KEY", "SIGNING_KEY", "WEBHOOK_SECRET"]);
            info.Environment["CCAPI_ADAPTERS_ALLOW_PRIVATE"] = "2";
            using (var again = Process.Start(info)!)
            {
                await again.WaitForExitAsync();
                again.ExitCode.ShouldBe(2);
            }

            (await File.ReadAllTextAsync(secrets)).ShouldBe(kept);
        }
        finally
        {
            if (!runSh.HasExited)
            {
                Signal(runSh.Id, "TERM");
                if (!runSh.WaitForExit(TimeSpan.FromSeconds(60)))
                {
                    runSh.Kill(entireProcessTree: true);
                }
            }

            foreach (var pid in ProcessesWithEnvironment($"CCAPI_DATA_DIR={dataDir}"))
            {
                try
                {
                    Process.GetProcessById(pid).Kill();
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
                {
                    // already gone
                }
            }

            Directory.Delete(dataDir, recursive: true);
        }
    }

    /// <summary>The last pid run.sh's supervisor recorded for <paramref name="service"/>.</summary>
    private static int CurrentPid(string pidFile, string service) =>
        File.ReadAllLines(pidFile).Select(line => line.Split(' ')).Where(f => f[0] == service)
            .Select(f => int.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture)).Last();

    private static bool IsRunningAService(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains("CCApi.", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Pids of this user's processes whose environment holds <paramref name="entry"/> (epmd, Erlang's shared port mapper, aside).</summary>
    private static List<int> ProcessesWithEnvironment(string entry)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var environment = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                if (environment.Contains(entry) && !File.ReadAllText(Path.Combine(dir, "cmdline")).Contains("epmd", StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // gone, or not ours
            }
        }

        return found;
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    private static int FreePort(int from, int to, Func<int, bool> alsoFree)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(from, to);
            if (IsFree(port) && alsoFree(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException("No free port found.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(System.Net.IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

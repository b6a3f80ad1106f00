using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Inlet.Bench;

/// <summary>
/// The Host as a real operating-system process (the Release build, Development environment for the
/// sign-in endpoint), so that its memory and CPU can be read from /proc like any deployment's.
/// </summary>
public sealed class InletHost : IAsyncDisposable
{
    private Process _process;
    private StreamWriter _log;
    private PosixSignalRegistration[] _signals = [];

    private InletHost(Process process, StreamWriter log, Uri address)
    {
        _process = process;
        _log = log;
        Address = address;
    }

    public Uri Address { get; }

    public int Pid => _process.Id;

    private const string ListingsLine = "Container listings so far: ";
    private (long Listings, DateTimeOffset At) _listings;

    /// <summary>The poller's latest listing count and when it was reported (every 5 s).</summary>
    public (long Listings, DateTimeOffset At) Listings => _listings;

    private void Observe(string? line)
    {
        var at = line?.IndexOf(ListingsLine, StringComparison.Ordinal) ?? -1;
        if (at >= 0 && long.TryParse(line![(at + ListingsLine.Length)..].Trim(), out var count))
            _listings = (count, DateTimeOffset.UtcNow);
    }

    public static bool Scanning => Environment.GetEnvironmentVariable("INLET_BENCH_SCANNING") is not ("false" or "0");

    /// <param name="settings">Configuration beyond the defaults, as environment variables (e.g. <c>Ingestion__PushDetection</c>).</param>
    /// <param name="logName">The log's file name in the run directory: a second node writes its own.</param>
    public static async Task<InletHost> Start(BenchEnvironment env, IReadOnlyDictionary<string, string>? settings = null, string logName = "host.log")
    {
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var (process, log) = Launch(env, address, settings, logName);
        var host = new InletHost(process, log, address);
        host.Follow();
        // Ctrl-C or SIGTERM ends the bench without its finally blocks; the Host must not outlive it.
        host._signals = [.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGQUIT }
            .Select(signal => PosixSignalRegistration.Create(signal, _ => host.KillIfRunning()))];
        try
        {
            await host.Ready(env);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Stops this Host in order (SIGTERM: it gives back its container shares, docs/adr/0025) and starts it again on the
    /// same address with <paramref name="settings"/>, so a scenario can measure another configuration and leave the
    /// defaults to the scenarios after it.
    /// </summary>
    public async Task Restart(BenchEnvironment env, IReadOnlyDictionary<string, string>? settings = null, string logName = "host.log")
    {
        await Stop();
        lock (_log)
            _log.Dispose();
        _process.Dispose();
        _listings = default;
        (_process, _log) = Launch(env, Address, settings, logName, append: true);
        Follow();
        await Ready(env);
    }

    /// <summary>SIGTERM and wait: the Host shuts down in order (a SIGKILL would leave its leases to run out first).</summary>
    public async Task Stop()
    {
        if (_process.HasExited)
            return;
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()]))
            await kill.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try { await _process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { KillIfRunning(); await _process.WaitForExitAsync(); }
    }

    private void Follow()
    {
        var process = _process;
        var log = _log;
        process.OutputDataReceived += (_, e) => { Write(log, e.Data); Observe(e.Data); };
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private async Task Ready(BenchEnvironment env)
    {
        var process = _process;
        using var probe = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
        await Wait.Until(async () =>
        {
            if (process.HasExited)
                throw new InvalidOperationException($"the Host exited with {process.ExitCode}; see {env.RunDirectory}");
            try { return (await probe.GetAsync("/health/ready")).IsSuccessStatusCode; }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return false; }
        }, TimeSpan.FromSeconds(120), "the Host answers /health/ready");
    }

    private static (Process Process, StreamWriter Log) Launch(BenchEnvironment env, Uri address, IReadOnlyDictionary<string, string>? settings, string logName, bool append = false)
    {
        var directory = Path.Combine(env.Root, "src", "Host", "bin", "Release", "net10.0");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(directory, "Inlet.Host.dll"), "--contentRoot", directory, "--urls", address.ToString().TrimEnd('/') })
            start.ArgumentList.Add(arg);
        // Connection strings come from bench.sh's environment, which the child inherits.
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        // For list_calls_per_s: the poller reports its listing count every 5 s at Information.
        start.Environment["Logging__LogLevel__Inlet.Ingestion.Detection.ContainerPoller"] = "Information";
        // The tokens scenario issues 1,000 tokens as one user; the per-user limit guards people, not benchmarks.
        start.Environment["RateLimits__TokenIssuesPerUser"] = "1000000";
        // Malware scanning is on (clamd from eng/services.sh); INLET_BENCH_SCANNING=false measures without it (ADR 23).
        start.Environment["Scanning__Enabled"] = Scanning ? "true" : "false";
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        Directory.CreateDirectory(env.RunDirectory);
        var log = new StreamWriter(Path.Combine(env.RunDirectory, logName), append) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the Host");
        return (process, log);
    }

    private void KillIfRunning()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already disposed: it was stopped in order.
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
            return;
        lock (log)
        {
            try { log.WriteLine(line); }
            catch (ObjectDisposedException) { } // a restarted Host's last lines, after its log was closed
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        KillIfRunning();
        await _process.WaitForExitAsync();
        foreach (var signal in _signals)
            signal.Dispose();
        lock (_log)
            _log.Dispose();
        _process.Dispose();
    }
}

using System.Diagnostics;
using System.Net.Sockets;

namespace Inlet.Tests.Infrastructure;

/// <summary>The Host as a real operating-system process, for tests that kill it.</summary>
public sealed class HostProcess : IAsyncDisposable
{
    private Process? _process;
    private readonly string _postgres;
    private readonly IReadOnlyDictionary<string, string> _settings;

    /// <param name="settings">Extra configuration as environment variables, e.g. <c>Tabular__MetadataGrace</c>.</param>
    public HostProcess(string postgres, IReadOnlyDictionary<string, string>? settings = null)
    {
        _postgres = postgres;
        _settings = settings ?? new Dictionary<string, string>();
        Port = FreePort();
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}") };
    }

    public int Port { get; }

    public HttpClient Client { get; }

    /// <summary>The Host's operating-system process id, for reading its memory from /proc.</summary>
    public int Pid => _process?.Id ?? throw new InvalidOperationException("The Host process has not started.");

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string HostDirectory()
    {
        // The tests' own build configuration (bin/<Configuration>/net10.0) is the Host's too.
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var configuration = testBin.Parent!.Name;
        return Path.Combine(TestServices.RepoRoot(), "src", "Host", "bin", configuration, testBin.Name);
    }

    /// <summary>Runs the Host's command line (e.g. <c>resources setup</c>) against <paramref name="postgres"/> and answers its exit code and output.</summary>
    public static Task<(int ExitCode, string Output)> Command(string postgres, params string[] args) =>
        Command(postgres, new Dictionary<string, string>(), args);

    /// <param name="settings">Extra configuration as environment variables.</param>
    public static async Task<(int ExitCode, string Output)> Command(string postgres, IReadOnlyDictionary<string, string> settings, params string[] args)
    {
        var directory = HostDirectory();
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(directory, "Inlet.Host.dll"));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["ConnectionStrings__Postgres"] = postgres;
        start.Environment["ConnectionStrings__Storage"] = TestServices.Storage;
        start.Environment["ConnectionStrings__Landing"] = TestServices.Landing;
        foreach (var (key, value) in settings)
            start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    public async Task Start()
    {
        var directory = HostDirectory();
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(directory, "Inlet.Host.dll"), "--urls", $"http://127.0.0.1:{Port}" })
            start.ArgumentList.Add(arg);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["ConnectionStrings__Postgres"] = _postgres;
        start.Environment["ConnectionStrings__Storage"] = TestServices.Storage;
        start.Environment["ConnectionStrings__Landing"] = TestServices.Landing;
        start.Environment["Ingestion__MinPollInterval"] = "00:00:00.5";
        start.Environment["Ingestion__MaxPollInterval"] = "00:00:05";
        foreach (var (name, value) in _settings)
            start.Environment[name] = value;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Observe(e.Data);
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await TokenApi.Eventually(async () =>
        {
            try { return (await Client.GetAsync("/health/ready")).IsSuccessStatusCode; }
            catch (HttpRequestException) { return false; }
        }, 90, "the Host process answers /health/ready");
    }

    private const string ListingsLine = "Container listings so far: ";
    private (long Listings, DateTimeOffset At) _listings;

    /// <summary>
    /// The poller's latest listing count and when it was reported (every 5 s), for a Host started with
    /// <c>Logging__LogLevel__Inlet.Ingestion.Detection.ContainerPoller=Information</c> (<see cref="ReportsListings"/>).
    /// </summary>
    public (long Listings, DateTimeOffset At) Listings => _listings;

    /// <summary>The setting that makes the Host report its listing count (an Information line, off by default).</summary>
    public static KeyValuePair<string, string> ReportsListings => new("Logging__LogLevel__Inlet.Ingestion.Detection.ContainerPoller", "Information");

    private void Observe(string? line)
    {
        var at = line?.IndexOf(ListingsLine, StringComparison.Ordinal) ?? -1;
        if (at >= 0 && long.TryParse(line![(at + ListingsLine.Length)..].Trim(), out var count))
            _listings = (count, DateTimeOffset.UtcNow);
    }

    /// <summary>Signs this process's client in through the Development sign-in endpoint.</summary>
    public async Task SignIn(string user, params string[] workspaces)
    {
        var response = await Client.PostAsJsonAsync("/api/dev/sign-in", new { user, workspaces });
        response.EnsureSuccessStatusCode();
        Client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Bearer", (await response.Content.ReadFromJsonAsync<JsonElement>()).Str("access_token"));
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing — as a crash would.</summary>
    public async Task Kill()
    {
        _process!.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
            await Kill();
        Client.Dispose();
    }
}

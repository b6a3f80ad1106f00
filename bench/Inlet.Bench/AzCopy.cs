using System.Diagnostics;

namespace Inlet.Bench;

/// <summary>The real Microsoft AzCopy, run as the token's "azcopy" command tells an uploader to.</summary>
public static class AzCopy
{
    public static async Task<TimeSpan> Copy(BenchEnvironment env, string source, string destination)
    {
        var work = Directory.CreateDirectory(Path.Combine(env.RunDirectory, $"azcopy-{Guid.NewGuid():N}"));
        var start = new ProcessStartInfo(env.AzCopy) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "copy", source, destination, "--recursive=true", "--put-md5", "--from-to=LocalBlob", "--log-level=ERROR" })
            start.ArgumentList.Add(arg);
        start.Environment["AZCOPY_LOG_LOCATION"] = Path.Combine(work.FullName, "logs");
        start.Environment["AZCOPY_JOB_PLAN_LOCATION"] = Path.Combine(work.FullName, "plans");
        start.Environment["AZCOPY_DISABLE_SYSLOG"] = "true";
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        await process.WaitForExitAsync(timeout.Token);
        var elapsed = clock.Elapsed;
        var output = await stdout + await stderr;
        if (process.ExitCode != 0 || !output.Contains("Final Job Status: Completed", StringComparison.Ordinal))
            throw new InvalidOperationException($"azcopy failed ({process.ExitCode}):\n{output}");
        work.Delete(recursive: true);
        return elapsed;
    }
}

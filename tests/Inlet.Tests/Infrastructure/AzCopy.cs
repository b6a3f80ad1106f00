using System.Diagnostics;

namespace Inlet.Tests.Infrastructure;

public sealed record AzCopyResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0 && Output.Contains("Final Job Status: Completed", StringComparison.Ordinal);
}

/// <summary>Runs the real Microsoft AzCopy binary, as an uploader would.</summary>
public static class AzCopy
{
    public static async Task<AzCopyResult> Copy(string localPath, string destination, params string[] extra)
    {
        string[] args = ["copy", localPath, destination, "--recursive=true", "--put-md5", "--from-to=LocalBlob", .. extra];
        return await Run(args);
    }

    /// <summary>
    /// Uploads the files in <paramref name="folder"/> (its contents, not the folder itself) with <paramref name="token"/>
    /// (the JSON the issue endpoint answered); fails, with AzCopy's exit code and output, unless the job completed.
    /// </summary>
    public static async Task Upload(DirectoryInfo folder, JsonElement token)
    {
        var result = await Copy(folder.FullName + "/*", token.Str("token"));
        Assert.True(result.Succeeded, $"AzCopy exited with {result.ExitCode}:\n{result.Output}");
    }

    public static async Task<AzCopyResult> Run(params string[] args)
    {
        var work = Directory.CreateTempSubdirectory("azcopy-");
        var start = new ProcessStartInfo(TestServices.AzCopyPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["AZCOPY_LOG_LOCATION"] = Path.Combine(work.FullName, "logs");
        start.Environment["AZCOPY_JOB_PLAN_LOCATION"] = Path.Combine(work.FullName, "plans");
        start.Environment["AZCOPY_DISABLE_SYSLOG"] = "true";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return new AzCopyResult(process.ExitCode, await stdout + await stderr);
    }
}

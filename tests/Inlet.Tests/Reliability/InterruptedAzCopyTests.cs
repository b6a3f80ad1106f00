using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Inlet.Tests.Reliability;

/// <summary>AzCopy killed mid-transfer and resumed with `azcopy jobs resume`: only whole files are ingested, each once.</summary>
public sealed class InterruptedAzCopyTests(InletApp app) : IClassFixture<InletApp>
{
    [Fact]
    public async Task An_upload_killed_mid_transfer_and_resumed_lands_every_file_whole_and_once()
    {
        var ws = InletApp.NewWorkspace("resume");
        var alice = await app.SignedIn("alice", ws);
        var token = (await alice.Issue(ws)).Str("token");
        var root = Directory.CreateTempSubdirectory("resume-");
        var md5s = new Dictionary<string, string>();
        var random = new Random(7);
        for (var i = 0; i < 4; i++)
        {
            var bytes = new byte[48 * 1024 * 1024];
            random.NextBytes(bytes);
            await File.WriteAllBytesAsync(Path.Combine(root.FullName, $"part-{i}.bin"), bytes);
            md5s[$"part-{i}.bin"] = Convert.ToBase64String(MD5.HashData(bytes));
        }

        // One AzCopy state folder for both runs: resume reads the job plan the first run wrote.
        var state = Directory.CreateTempSubdirectory("azcopy-state-");
        var first = Start(state, "copy", root.FullName + "/*", token, "--recursive=true", "--put-md5", "--from-to=LocalBlob", "--block-size-mb=4", "--cap-mbps=80");
        var output = "";
        string? jobId = null;
        await TokenApi.Eventually(async () =>
        {
            output += await ReadAvailable(first);
            jobId ??= Regex.Match(output, @"Job ([0-9a-f-]{36}) has started").Groups[1].Value is { Length: > 0 } id ? id : null;
            return jobId is not null && Regex.IsMatch(output, @"[1-9]\d*\.\d+ %|\b[1-9]\d* Done");
        }, 60, "AzCopy under way");
        first.Kill(entireProcessTree: true);
        await first.WaitForExitAsync();
        await Task.Delay(3000); // time for the poller to see whatever was committed before the kill
        var beforeResume = (await alice.GetJson($"/api/workspaces/{ws}/uploads")).GetArrayLength();
        Assert.True(beforeResume < 4, $"the kill came too late to cut a transfer ({beforeResume} files already in)");

        var resumed = Start(state, "jobs", "resume", jobId!, "--destination-sas", new Uri(token).Query.TrimStart('?'));
        var resumeOutput = await resumed.StandardOutput.ReadToEndAsync() + await resumed.StandardError.ReadToEndAsync();
        await resumed.WaitForExitAsync();
        Assert.True(resumeOutput.Contains("Final Job Status: Completed", StringComparison.Ordinal), resumeOutput);

        var files = new List<JsonElement>();
        await TokenApi.Eventually(async () =>
        {
            files = (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().ToList();
            return files.Count >= 4;
        }, 60, "all four files in the Inbox");
        await Task.Delay(2000); // nothing more is coming: a half-sent file must not show up late either
        var uploads = (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToList();
        Assert.Equal(4, uploads.Count);
        Assert.All(uploads, u => Assert.Equal("routed", u.Str("status")));
        files = (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().ToList();
        Assert.Equal(md5s.Keys.Select(k => "inbox/" + k).Order(), files.Select(f => f.Str("path")).Order());
        foreach (var file in files)
        {
            await using var content = await alice.GetStreamAsync($"/api/workspaces/{ws}/files/content?path={Uri.EscapeDataString(file.Str("path"))}");
            Assert.Equal(md5s[file.Str("path")["inbox/".Length..]], Convert.ToBase64String(await MD5.HashDataAsync(content)));
        }
    }

    private static Process Start(DirectoryInfo state, params string[] args)
    {
        var start = new ProcessStartInfo(TestServices.AzCopyPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["AZCOPY_LOG_LOCATION"] = Path.Combine(state.FullName, "logs");
        start.Environment["AZCOPY_JOB_PLAN_LOCATION"] = Path.Combine(state.FullName, "plans");
        start.Environment["AZCOPY_DISABLE_SYSLOG"] = "true";
        return Process.Start(start)!;
    }

    private static async Task<string> ReadAvailable(Process process)
    {
        var buffer = new char[4096];
        using var timeout = new CancellationTokenSource(200);
        try
        {
            var read = await process.StandardOutput.ReadAsync(buffer.AsMemory(), timeout.Token);
            return new string(buffer, 0, read);
        }
        catch (OperationCanceledException)
        {
            return "";
        }
    }
}

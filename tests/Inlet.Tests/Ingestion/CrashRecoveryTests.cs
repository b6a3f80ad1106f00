namespace Inlet.Tests.Ingestion;

public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task A_Host_killed_mid_routing_resumes_and_routes_every_file_exactly_once()
    {
        var postgres = await TestServices.CreateDatabase("inlet_crash");
        await using var host = new HostProcess(postgres);
        await host.Start();
        var ws = InletApp.NewWorkspace();
        await host.SignIn("alice", ws);
        var issued = await host.Client.Issue(ws);

        var root = Directory.CreateTempSubdirectory("crash-");
        for (var i = 0; i < 500; i++)
            await File.WriteAllTextAsync(Path.Combine(root.FullName, $"f{i:D3}.txt"), $"file {i} " + new string('x', i));
        Assert.True((await AzCopy.Copy(root.FullName + "/*", issued.Str("token"))).Succeeded);

        await TokenApi.Eventually(async () => (await host.Client.GetJson($"/api/workspaces/{ws}/uploads")).GetArrayLength() >= 20, 60, "routing has started");
        await host.Kill();
        await host.Start();

        List<JsonElement> uploads = [];
        await TokenApi.Eventually(async () =>
        {
            uploads = (await host.Client.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToList();
            return uploads.Count(u => u.Str("status") == "routed") >= 500;
        }, 120, "all 500 files routed after the restart");
        Assert.Equal(500, uploads.Count);
        var inbox = (await host.Client.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("path")).ToList();
        Assert.Equal(500, inbox.Distinct().Count());
        Assert.DoesNotContain(inbox, p => p.Contains(" (2)"));
        for (var i = 0; i < 500; i += 50)
            Assert.Equal($"file {i} " + new string('x', i), await host.Client.GetStringAsync($"/api/workspaces/{ws}/files/content?path=inbox/f{i:D3}.txt"));
        await TokenApi.Eventually(async () =>
            (await host.Client.GetJson($"/api/workspaces/{ws}/upload-tokens/{issued.Str("tid")}")).GetProperty("files_received").GetInt64() == 500,
            90, "the token counts 500 files, none twice (messages the killed node owned are taken over)");
    }
}

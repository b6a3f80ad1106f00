namespace Inlet.Tests.Reliability;

/// <summary>
/// PostgreSQL or Azurite stopped for 20 s in the middle of routing 500 files, with a real Host process:
/// readiness reports the outage, the Host recovers by itself, and every file is routed exactly once.
/// Alone, because the services they stop are everybody's.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class OutageTests
{
    [Theory]
    [InlineData("postgres")]
    [InlineData("azurite")]
    public async Task A_service_stopped_for_20_s_mid_ingestion_delays_but_never_loses_or_duplicates_a_file(string service)
    {
        var postgres = await TestServices.CreateDatabase("inlet_outage");
        await using var host = new HostProcess(postgres);
        await host.Start();
        var ws = InletApp.NewWorkspace("outage");
        await host.SignIn("alice", ws);
        var issued = await host.Client.Issue(ws);
        var root = Directory.CreateTempSubdirectory("outage-");
        for (var i = 0; i < 500; i++)
            await File.WriteAllTextAsync(Path.Combine(root.FullName, $"f{i:D3}.txt"), $"file {i} " + new string('x', i));
        Assert.True((await AzCopy.Copy(root.FullName + "/*", issued.Str("token"))).Succeeded);
        await TokenApi.Eventually(async () => (await host.Client.GetJson($"/api/workspaces/{ws}/uploads")).GetArrayLength() >= 20, 60, "routing has started");

        await TestServices.Control($"{service}-stop");
        try
        {
            await TokenApi.Eventually(async () => (await host.Client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.ServiceUnavailable,
                20, $"/health/ready reports the {service} outage");
            await Task.Delay(TimeSpan.FromSeconds(20));
        }
        finally
        {
            await TestServices.Control($"{service}-start");
        }

        await TokenApi.Eventually(async () => (await host.Client.GetAsync("/health/ready")).IsSuccessStatusCode, 60, "the Host is ready again by itself");
        List<JsonElement> uploads = [];
        await TokenApi.Eventually(async () =>
        {
            uploads = (await host.Client.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToList();
            return uploads.Count(u => u.Str("status") == "routed") >= 500;
        }, 180, "all 500 files routed after the outage");
        Assert.Equal(500, uploads.Count);
        var inbox = (await host.Client.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("path")).ToList();
        Assert.Equal(500, inbox.Distinct().Count());
        Assert.DoesNotContain(inbox, p => p.Contains(" (2)"));
        for (var i = 0; i < 500; i += 25)
            Assert.Equal($"file {i} " + new string('x', i), await host.Client.GetStringAsync($"/api/workspaces/{ws}/files/content?path=inbox/f{i:D3}.txt"));
        await TokenApi.Eventually(async () =>
            (await host.Client.GetJson($"/api/workspaces/{ws}/upload-tokens/{issued.Str("tid")}")).GetProperty("files_received").GetInt64() == 500,
            180, "the token counts 500 files, none twice (usage delayed by the outage is retried, never dropped)");
    }
}

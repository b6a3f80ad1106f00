namespace Inlet.Tests.Ingestion;

/// <summary>Two real Host processes on one PostgreSQL and one Azurite, as two production nodes would be.</summary>
[Collection(nameof(RunsAlone))]
public sealed class TwoHostProcessTests
{
    [Fact]
    public async Task Two_Host_processes_ingest_one_upload_routing_every_file_and_every_table_exactly_once()
    {
        var postgres = await TestServices.CreateDatabase("inlet_two");
        await using var first = new HostProcess(postgres);
        await using var second = new HostProcess(postgres);
        await Task.WhenAll(first.Start(), second.Start());
        var ws = InletApp.NewWorkspace("two");
        await first.SignIn("alice", ws);
        await second.SignIn("alice", ws);
        var inboxToken = await first.Client.Issue(ws);
        var databaseToken = await second.Client.Issue(ws, new { reason = "tables", upload_to_database = true });

        var files = Directory.CreateTempSubdirectory("two-files-");
        for (var i = 0; i < 300; i++)
            await File.WriteAllTextAsync(Path.Combine(files.FullName, $"f{i:D3}.txt"), $"file {i}");
        var tables = Directory.CreateTempSubdirectory("two-tables-");
        for (var i = 0; i < 20; i++)
            await File.WriteAllTextAsync(Path.Combine(tables.FullName, $"t{i:D2}.csv"), "id,value\n" + string.Concat(Enumerable.Range(1, 100).Select(r => $"{r},{r * i}\n")));

        var uploads = await Task.WhenAll(AzCopy.Copy(files.FullName + "/*", inboxToken.Str("token")), AzCopy.Copy(tables.FullName + "/*", databaseToken.Str("token")));
        Assert.All(uploads, r => Assert.True(r.Succeeded, r.Output));

        List<JsonElement> records = [];
        await TokenApi.Eventually(async () =>
        {
            records = (await first.Client.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToList();
            return records.Count(u => u.Str("status") == "routed") >= 320;
        }, 120, $"320 files routed (saw {records.Count(u => u.Str("status") == "routed")})");
        await Task.Delay(3000); // both nodes finish whatever is in flight before counting
        records = (await second.Client.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToList();
        Assert.Equal(320, records.Count);
        Assert.All(records, r => Assert.Equal("routed", r.Str("status")));
        var inbox = (await second.Client.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("path")).ToList();
        Assert.Equal(300, inbox.Distinct().Count());
        Assert.DoesNotContain(inbox, p => p.Contains(" (2)"));

        var catalogue = (await first.Client.GetJson($"/api/workspaces/{ws}/tables")).EnumerateArray().ToList();
        Assert.Equal(20, catalogue.Count);
        Assert.All(catalogue, t => Assert.Equal(100, t.GetProperty("rows").GetInt64()));
        foreach (var (token, count) in new[] { (inboxToken, 300), (databaseToken, 20) })
            await TokenApi.Eventually(async () =>
                (await first.Client.GetJson($"/api/workspaces/{ws}/upload-tokens/{token.Str("tid")}")).GetProperty("files_received").GetInt64() == count,
                30, $"token counts {count} files, none twice");
        var audit = (await first.Client.GetJson($"/api/workspaces/{ws}/upload-tokens/{databaseToken.Str("tid")}/events")).EnumerateArray().ToList();
        Assert.Equal(20, audit.Where(e => e.Str("type") == "used").Sum(e => e.GetProperty("details").GetProperty("files").GetInt64()));
    }
}

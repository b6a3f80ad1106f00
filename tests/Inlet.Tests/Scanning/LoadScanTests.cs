using System.Text;
using Inlet.Ingestion.Routing;
using Inlet.Tabular.LoadTable;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using ParquetSharp;

namespace Inlet.Tests.Scanning;

/// <summary>
/// A database token's data files are scanned in the load's own read (docs/adr/0037-scan-beside-the-load.md): routing stages
/// them unscanned into <c>.database/</c>, the load's one storage read feeds clamd and COPY, and the load commits only after
/// clean verdict. Malware rolls the load back and the file goes to quarantine; every way a staged file can leave staging
/// other than as a table has a verdict first. Real AzCopy, Azurite, clamd and PostgreSQL.
/// </summary>
public sealed class LoadScanTests(InletApp app) : IClassFixture<InletApp>
{
    private static string Marker => MalwareScanningTests.Marker;

    private async Task<(HttpClient Client, string Ws)> Workspace(string prefix)
    {
        var ws = InletApp.NewWorkspace(prefix);
        return (await app.SignedIn("alice", ws), ws);
    }

    private static async Task<JsonElement> DatabaseToken(HttpClient client, string ws) =>
        await client.Issue(ws, new { reason = "load scan", upload_to_database = true });

    private static async Task Upload(JsonElement token, params (string Path, string Content)[] files) =>
        Assert.True((await AzCopy.Copy(LocalFiles.Folder(files).FullName + "/*", token.Str("token"))).Succeeded);

    /// <summary>The event types of each upload of <paramref name="ws"/> named <paramref name="name"/>, oldest upload first.</summary>
    private async Task<List<List<object>>> Streams(string ws, string name)
    {
        await using var session = app.Host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var records = await session.Query<UploadRecord>().Where(r => r.Wsid == ws && r.Name == name).OrderBy(r => r.ReceivedAt).ToListAsync();
        var streams = new List<List<object>>();
        foreach (var record in records)
            streams.Add([.. (await session.Events.FetchStreamAsync(record.Id)).Select(e => e.Data)]);
        return streams;
    }

    private async Task<List<TableLoaded>> Loads(string ws)
    {
        await using var session = app.Host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        return [.. (await session.Events.QueryRawEventDataOnly<TableLoaded>().ToListAsync()).Where(e => e.Wsid == ws)];
    }

    private async Task<List<string>> Rows(string ws, string table)
    {
        await using var connection = new NpgsqlConnection(app.WorkspaceDatabase(ws));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"select id::text || ':' || note from \"ws_{ws.Replace('-', '_')}\".\"{table}\" order by id", connection);
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            rows.Add(reader.GetString(0));
        return rows;
    }

    private static async Task<JsonElement> Upload(HttpClient client, string ws, string name, int count) =>
        (await MalwareScanningTests.Settled(client, ws, count, 90)).Last(u => u.Str("name") == name);

    /// <summary>Fails on main: there routing scanned the file before staging it (UploadScanned before UploadStaged), and the load read it again.</summary>
    [Fact]
    public async Task A_clean_database_CSV_is_staged_unscanned_scanned_in_its_load_read_and_loaded_clean()
    {
        var (alice, ws) = await Workspace("lsclean");
        await Upload(await DatabaseToken(alice, ws), ("visits.csv", "id,note\n1,first\n2,second\n"));

        var upload = await Upload(alice, ws, "visits.csv", 1);
        Assert.Equal(("routed", "clean", "table:visits"), (upload.Str("status"), upload.Str("scan"), upload.Str("location")));
        Assert.Equal(["1:first", "2:second"], await Rows(ws, "visits"));
        var events = Assert.Single(await Streams(ws, "visits.csv"));
        Assert.Equal([typeof(UploadReceived), typeof(UploadStaged), typeof(UploadScanned), typeof(UploadRouted)], events.Select(e => e.GetType()));
        Assert.True(((UploadStaged)events[1]).ScanPending);
        var loaded = Assert.Single(await Loads(ws));
        Assert.NotNull(loaded.Scan); // the load's own read was scanned, and the commit waited for it
    }

    /// <summary>
    /// Malware in a CSV that would replace or extend an existing table: the load's read finds it, the transaction rolls back (the
    /// table keeps exactly its rows), the file ends in quarantine, blocked, audited. Fails on main in its stream: there the file
    /// never reached the load (blocked before staging).
    /// </summary>
    [Theory]
    [InlineData("replace")]
    [InlineData("append")]
    public async Task Malware_in_a_database_CSV_loads_nothing_leaves_the_table_as_it_was_and_goes_to_quarantine(string mode)
    {
        var (alice, ws) = await Workspace("lsblock");
        var schema = $$"""{ "mode": "{{mode}}", "fields": [ { "name": "id", "type": "integer" }, { "name": "note", "type": "string" } ] }""";
        var first = await DatabaseToken(alice, ws);
        await Upload(first, ("visits.schema.json", schema));
        await Upload(alice, ws, "visits.schema.json", 1);
        await Upload(first, ("visits.csv", "id,note\n1,first\n2,second\n"));
        Assert.Equal("routed", (await Upload(alice, ws, "visits.csv", 2)).Str("status"));
        Assert.Equal(["1:first", "2:second"], await Rows(ws, "visits"));

        var second = await DatabaseToken(alice, ws);
        await Upload(second, ("visits.schema.json", schema));
        await Upload(alice, ws, "visits.schema.json", 3);
        // Many rows before the marker: the load has written them into the table (uncommitted) when the verdict comes.
        var marked = new StringBuilder("id,note\n");
        for (var i = 3; i < 20_000; i++)
            marked.Append(i).Append(",row ").Append(i).Append('\n');
        marked.Append("20000,").Append(Marker).Append('\n');
        await Upload(second, ("visits.csv", marked.ToString()));

        var blocked = await Upload(alice, ws, "visits.csv", 4);
        Assert.Equal(("rejected", "blocked"), (blocked.Str("status"), blocked.Str("scan")));
        Assert.StartsWith("Inlet.Test.Marker", blocked.Str("scan_signature"));
        Assert.StartsWith(".quarantine/", blocked.Str("location"));
        Assert.Contains("malware scan", blocked.Str("error"));
        Assert.Equal(["1:first", "2:second"], await Rows(ws, "visits"));
        var table = (await alice.GetJson($"/api/workspaces/{ws}/tables")).EnumerateArray().Single(t => t.Str("name") == "visits");
        Assert.Equal(2, table.GetProperty("rows").GetInt64());
        Assert.Single(await Loads(ws)); // the first load only

        var stream = (await Streams(ws, "visits.csv"))[1];
        Assert.Equal([typeof(UploadReceived), typeof(UploadStaged), typeof(UploadBlockedByScan)], stream.Select(e => e.GetType()));
        var files = (await alice.GetJson($"/api/workspaces/{ws}/files")).EnumerateArray().Select(f => f.Str("path")).ToList();
        Assert.Empty(files.Where(p => p.EndsWith("visits.csv")));
        var audit = (await alice.GetJson($"/api/workspaces/{ws}/audit?type=upload_blocked_by_scan")).GetProperty("entries").EnumerateArray().ToList();
        var entry = Assert.Single(audit);
        Assert.StartsWith("Inlet.Test.Marker", entry.GetProperty("details").Str("signature"));
        Assert.Equal(blocked.Str("location"), entry.GetProperty("details").Str("kept_at"));
        // The staged copy is gone; the bytes are in the quarantine only.
        var container = new Azure.Storage.Blobs.BlobServiceClient(TestServices.Storage).GetBlobContainerClient(Inlet.Ingestion.WorkspaceFiles.WorkspaceStorage.ContainerFor(ws));
        var id = blocked.Str("location")[".quarantine/".Length..];
        var names = new List<string>();
        await TokenApi.Eventually(async () =>
        {
            names.Clear();
            await foreach (var item in container.GetBlobsAsync())
                names.Add(item.Name);
            return !names.Contains($".database/{id}/visits.csv"); // deleted once the block is on record
        }, 30, "the staged copy deleted");
        Assert.Contains(blocked.Str("location"), names);
    }

    /// <summary>The same for Parquet, whose load spools the file and reads its footer first: clean loads clean, marked loads nothing.</summary>
    [Fact]
    public async Task Parquet_is_scanned_in_its_load_read_clean_loads_and_malware_loads_nothing()
    {
        var (alice, ws) = await Workspace("lsparq");
        var root = Directory.CreateTempSubdirectory("upload-");
        void Write(string name, string[] notes)
        {
            using var properties = new WriterPropertiesBuilder().Compression(Compression.Uncompressed).Build();
            using var writer = new ParquetFileWriter(Path.Combine(root.FullName, name), [new Column<int>("id"), new Column<string>("note")], properties);
            using var group = writer.AppendRowGroup();
            using (var ids = group.NextColumn().LogicalWriter<int>())
                ids.WriteBatch([.. Enumerable.Range(1, notes.Length)]);
            using (var column = group.NextColumn().LogicalWriter<string>())
                column.WriteBatch(notes);
            writer.Close();
        }
        Write("clean.parquet", ["first", "second"]);
        Write("marked.parquet", ["first", "here: " + Marker]);
        Assert.True((await AzCopy.Copy(root.FullName + "/*", (await DatabaseToken(alice, ws)).Str("token"))).Succeeded);

        var uploads = (await MalwareScanningTests.Settled(alice, ws, 2, 90)).ToDictionary(u => u.Str("name"));
        Assert.Equal(("routed", "clean"), (uploads["clean.parquet"].Str("status"), uploads["clean.parquet"].Str("scan")));
        Assert.Equal(("rejected", "blocked"), (uploads["marked.parquet"].Str("status"), uploads["marked.parquet"].Str("scan")));
        Assert.StartsWith("Inlet.Test.Marker", uploads["marked.parquet"].Str("scan_signature"));
        Assert.Equal(["clean"], (await alice.GetJson($"/api/workspaces/{ws}/tables")).EnumerateArray().Select(t => t.Str("name")));
        Assert.Equal(["1:first", "2:second"], await Rows(ws, "clean"));
        Assert.Equal([typeof(UploadReceived), typeof(UploadStaged), typeof(UploadBlockedByScan)],
            Assert.Single(await Streams(ws, "marked.parquet")).Select(e => e.GetType()));
        Assert.NotNull(Assert.Single(await Loads(ws)).Scan);
    }

    /// <summary>
    /// A staged file the database refuses goes to the Inbox, which members read: it must have a verdict first. Refused after its
    /// read ended (the load's verdict), refused early in a large file (the load's read never reached the end, so Ingestion scans
    /// the staged copy), and refused without being read (its metadata was refused): clean ones are kept in the Inbox as
    /// <c>clean</c>, marked ones go to the quarantine. On main these passed too (scanned before staging): this is the invariant.
    /// </summary>
    [Fact]
    public async Task Every_refused_database_file_is_scanned_before_it_is_kept_in_the_Inbox()
    {
        var (alice, ws) = await Workspace("lsrefuse");
        var token = await DatabaseToken(alice, ws);
        const string Schema = """{ "fields": [ { "name": "id", "type": "integer" }, { "name": "note", "type": "string" } ] }""";
        await Upload(token, ("early.schema.json", Schema), ("earlymarked.schema.json", Schema), ("broken.schema.json", "{ not json"),
            ("late.schema.json", Schema));
        await MalwareScanningTests.Settled(alice, ws, 4, 90);

        // 12 MB, refused at line 3: the read stops there, far from the end (the read-ahead holds 4 MiB).
        string Large(string last)
        {
            var text = new StringBuilder("id,note\n1,fine\nnot-a-number,bad\n");
            for (var i = 4; text.Length < 12_000_000; i++)
                text.Append(i).Append(",padding padding padding padding padding padding padding padding padding ").Append(i).Append('\n');
            return text.Append("999999,").Append(last).Append('\n').ToString();
        }
        await Upload(token,
            ("early.csv", Large("the end")),
            ("earlymarked.csv", Large(Marker)),
            ("broken.csv", "id,note\n1," + Marker + "\n"),
            ("late.csv", "id,note\n1,fine\n2,also fine\n3,x\nbad,row\n"));

        var uploads = (await MalwareScanningTests.Settled(alice, ws, 8, 120)).ToDictionary(u => u.Str("name"));
        Assert.Equal(("rejected", "clean", "inbox/early.csv"), (uploads["early.csv"].Str("status"), uploads["early.csv"].Str("scan"), uploads["early.csv"].Str("location")));
        Assert.Contains("line 3", uploads["early.csv"].Str("error"));
        Assert.Equal(("rejected", "clean", "inbox/late.csv"), (uploads["late.csv"].Str("status"), uploads["late.csv"].Str("scan"), uploads["late.csv"].Str("location")));
        foreach (var name in new[] { "earlymarked.csv", "broken.csv" })
        {
            Assert.Equal(("rejected", "blocked"), (uploads[name].Str("status"), uploads[name].Str("scan")));
            Assert.StartsWith(".quarantine/", uploads[name].Str("location"));
        }
        var inbox = (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("path")).Order().ToList();
        Assert.Equal(["inbox/broken.schema.json", "inbox/early.csv", "inbox/late.csv"], inbox);
        Assert.Empty((await alice.GetJson($"/api/workspaces/{ws}/tables")).EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync($"/api/workspaces/{ws}/files/content?path=inbox/earlymarked.csv")).StatusCode);
        // Scanned before the refusal was kept: the clean verdict precedes it in the upload's stream.
        var early = Assert.Single(await Streams(ws, "early.csv"));
        Assert.Equal([typeof(UploadReceived), typeof(UploadStaged), typeof(UploadScanned), typeof(DatabaseUploadRefused)], early.Select(e => e.GetType()));
    }
}

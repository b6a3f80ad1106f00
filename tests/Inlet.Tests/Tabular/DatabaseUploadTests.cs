using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Inlet.Ingestion.WorkspaceFiles;
using Npgsql;

namespace Inlet.Tests.Tabular;

/// <summary>Database tokens end to end: the real AzCopy, Azurite, the Host and the workspace database.</summary>
public sealed class DatabaseUploadTests(InletApp app) : IClassFixture<InletApp>
{
    private async Task<(HttpClient Client, string Ws, JsonElement Token)> DatabaseToken()
    {
        var ws = InletApp.NewWorkspace("db");
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws, new { reason = "tables from site A", upload_to_database = true });
        return (alice, ws, token);
    }

    private static async Task<Dictionary<string, JsonElement>> Tables(HttpClient client, string ws) =>
        (await client.GetJson($"/api/workspaces/{ws}/tables")).EnumerateArray().ToDictionary(t => t.Str("name"));

    private static Dictionary<string, string> Types(JsonElement table) =>
        table.GetProperty("columns").EnumerateArray().ToDictionary(c => c.Str("name"), c => c.Str("type"));

    /// <summary>
    /// The table's text export against the source file's, both normalised by PostgreSQL itself: the CSV is
    /// read into an all-text table with PostgreSQL's own CSV parser and cast to the expected types.
    /// </summary>
    private async Task<(string Loaded, string Source)> Checksums(string ws, string table, string csv, char delimiter, string[] castColumns)
    {
        await using var connection = new NpgsqlConnection(app.WorkspaceDatabase(ws));
        await connection.OpenAsync();
        var schema = "ws_" + ws.Replace('-', '_');
        var columns = castColumns.Select(c => c.Split(' ')[0]).ToArray();
        await using (var create = new NpgsqlCommand($"create temp table source_{table} ({string.Join(", ", columns.Select(c => $"\"{c}\" text"))})", connection))
            await create.ExecuteNonQueryAsync();
        await using (var writer = await connection.BeginTextImportAsync($"copy source_{table} from stdin (format csv, header true, delimiter '{delimiter}')"))
            await writer.WriteAsync(csv);
        async Task<string> Sum(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            return (string)(await command.ExecuteScalarAsync())!;
        }
        var loaded = await Sum($"select md5(string_agg(t::text, E'\\n' order by t::text)) from (select {string.Join(", ", columns.Select(c => $"\"{c}\""))} from \"{schema}\".\"{table}\") t");
        var source = await Sum($"select md5(string_agg(t::text, E'\\n' order by t::text)) from (select {string.Join(", ", castColumns.Select(c => c.Contains(' ') ? c[(c.IndexOf(' ') + 1)..] : $"\"{c}\""))} from source_{table}) t");
        return (loaded, source);
    }

    private const string PatientsCsv = "id,name,birth_date,weight,smoker\n1,Ada Lovelace,1815-12-10,55.5,false\n2,\"Turing, Alan\",1912-06-23,70.25,true\n3,\"Grace \"\"Amazing\"\" Hopper\",1906-12-09,,false\n";
    private const string PatientsSchema = """
        { "name": "patients", "title": "Patients", "description": "One row per patient.",
          "fields": [
            { "name": "id", "type": "integer", "constraints": { "required": true } },
            { "name": "name", "type": "string", "title": "Full name", "description": "As written on the consent form" },
            { "name": "birth_date", "type": "date" },
            { "name": "weight", "type": "number", "description": "kg" },
            { "name": "smoker", "type": "boolean" } ],
          "primaryKey": "id" }
        """;
    private const string VisitsCsv = "visit_id,patient_id,visited_at,notes\r\n10,1,2026-01-02T09:30:00Z,\"first visit, all fine\"\r\n11,2,2026-01-03T10:00:00+02:00,\"said \"\"hello\"\"\r\nand left\"\r\n12,1,2026-02-01T08:15:30Z,\r\n";
    private const string VisitsSchema = """
        { "fields": [
            { "name": "visit_id", "type": "integer" },
            { "name": "patient_id", "type": "integer" },
            { "name": "visited_at", "type": "datetime" },
            { "name": "notes", "type": "string" } ],
          "primaryKey": ["visit_id"] }
        """;
    private const string ResultsCsv = "sample;value;unit;measured\nS-1;4.5;mmol/L;02/01/2026\nS-2;120;mg/dL;15/01/2026\nS-3;0.75;mmol/L;31/12/2025\n";
    private const string DataPackage = """
        { "name": "labs", "resources": [ {
            "path": "results.csv", "name": "lab_results", "title": "Lab results", "description": "Blood tests",
            "dialect": { "delimiter": ";" },
            "schema": { "fields": [
              { "name": "sample", "type": "string" },
              { "name": "value", "type": "number" },
              { "name": "unit", "type": "string", "constraints": { "enum": ["mmol/L", "mg/dL"] } },
              { "name": "measured", "type": "date", "format": "%d/%m/%Y" } ] } } ] }
        """;
    private const string SitesCsv = "Site Code,Established,Beds,Rating,Active,Opened At\n007,1999-04-01,120,4.5,true,2001-05-06 07:08:09\n012,2005-10-10,80,3,false,2006-01-01 00:00:00\n100,2010-01-31,3000000000,4.75,TRUE,2011-02-03 04:05:06.5\n";

    [Fact]
    public async Task Three_CSVs_with_metadata_and_one_without_become_four_tables_with_the_declared_or_inferred_types()
    {
        var (alice, ws, token) = await DatabaseToken();
        var root = LocalFiles.Folder(("patients.csv", PatientsCsv), ("patients.schema.json", PatientsSchema),
            ("visits.csv", VisitsCsv), ("visits.schema.json", VisitsSchema),
            ("labs/results.csv", ResultsCsv), ("labs/datapackage.json", DataPackage),
            ("sites.csv", SitesCsv));
        var uploads = (await app.Host.UploadUntilDecided(alice, token, root, 7)).Settled();
        Assert.All(uploads, u => Assert.Equal("routed", u.Str("status")));
        Assert.All(uploads, u => Assert.Equal("database", u.Str("routed_to")));
        Assert.Equal("table:patients", uploads.Single(u => u.Str("name") == "patients.csv").Str("location"));
        Assert.Equal("table:lab_results", uploads.Single(u => u.Str("name") == "labs/results.csv").Str("location"));

        var tables = await Tables(alice, ws);
        Assert.Equal(["lab_results", "patients", "sites", "visits"], tables.Keys.Order());
        Assert.Equal(new Dictionary<string, string>
        {
            ["id"] = "bigint", ["name"] = "text", ["birth_date"] = "date", ["weight"] = "numeric", ["smoker"] = "boolean",
        }, Types(tables["patients"]));
        Assert.Equal(new Dictionary<string, string>
        {
            ["visit_id"] = "bigint", ["patient_id"] = "bigint", ["visited_at"] = "timestamp with time zone", ["notes"] = "text",
        }, Types(tables["visits"]));
        Assert.Equal(new Dictionary<string, string>
        {
            ["sample"] = "text", ["value"] = "numeric", ["unit"] = "text", ["measured"] = "date",
        }, Types(tables["lab_results"]));
        Assert.Equal(new Dictionary<string, string>
        {
            ["site_code"] = "text", ["established"] = "date", ["beds"] = "bigint", ["rating"] = "numeric", ["active"] = "boolean",
            ["opened_at"] = "timestamp without time zone",
        }, Types(tables["sites"]));
        Assert.Equal(3, tables["patients"].GetProperty("rows").GetInt64());
        Assert.Equal(3, tables["visits"].GetProperty("rows").GetInt64());
        Assert.Equal(3, tables["lab_results"].GetProperty("rows").GetInt64());
        Assert.Equal(3, tables["sites"].GetProperty("rows").GetInt64());
        Assert.Equal("Patients", tables["patients"].Str("title"));
        Assert.Equal("One row per patient.", tables["patients"].Str("description"));
        Assert.Equal("Blood tests", tables["lab_results"].Str("description"));
        var name = tables["patients"].GetProperty("columns").EnumerateArray().Single(c => c.Str("name") == "name");
        Assert.Equal("As written on the consent form", name.Str("description"));
        var siteCode = tables["sites"].GetProperty("columns").EnumerateArray().Single(c => c.Str("name") == "site_code");
        Assert.Equal("Site Code", siteCode.Str("description"));
        Assert.Equal(token.Str("tid"), tables["sites"].Str("tid"));
        Assert.Equal("labs/results.csv", tables["lab_results"].Str("source"));

        foreach (var (table, csv, delimiter, casts) in new (string, string, char, string[])[]
        {
            ("patients", PatientsCsv, ',', ["id id::bigint", "name", "birth_date birth_date::date", "weight nullif(weight, '')::numeric", "smoker smoker::boolean"]),
            ("visits", VisitsCsv, ',', ["visit_id visit_id::bigint", "patient_id patient_id::bigint", "visited_at visited_at::timestamptz", "notes nullif(notes, '')"]),
            ("lab_results", ResultsCsv, ';', ["sample", "value value::numeric", "unit", "measured to_date(measured, 'DD/MM/YYYY')"]),
            ("sites", SitesCsv, ',', ["site_code", "established established::date", "beds beds::bigint", "rating rating::numeric", "active active::boolean", "opened_at opened_at::timestamp"]),
        })
        {
            var (loaded, source) = await Checksums(ws, table, csv, delimiter, casts);
            Assert.True(loaded == source, $"{table}: the loaded table's checksum {loaded} differs from the source's {source}");
        }

        var rows = await alice.GetJson($"/api/workspaces/{ws}/tables/patients/rows?limit=2");
        Assert.Equal(["id", "name", "birth_date", "weight", "smoker"], rows.GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(2, rows.GetProperty("rows").GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync($"/api/workspaces/{ws}/tables/nothing/rows")).StatusCode);
        Assert.Empty((await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray());
    }

    [Fact]
    public async Task A_CSV_uploaded_before_its_schema_and_one_uploaded_after_it_both_end_with_the_declared_types()
    {
        var (alice, ws, token) = await DatabaseToken();
        const string csv = "code,amount,day\n001,10,2026-03-01\n002,11,2026-03-02\n";
        const string schema = """{ "fields": [ { "name": "code", "type": "integer" }, { "name": "amount", "type": "number" }, { "name": "day", "type": "string" } ] }""";

        // CSV first: it is loaded with inferred types, then the schema arrives and reloads it.
        (await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder(("early.csv", csv)), 1)).Settled();
        Assert.Equal("text", Types((await Tables(alice, ws))["early"])["code"]);

        // Its schema (loaded), the CSV reloaded with it, and a schema whose CSV comes afterwards: three decisions.
        (await app.Host.UntilDecided(alice, token, 3, async () =>
        {
            await AzCopy.Upload(LocalFiles.Folder(("early.schema.json", schema)), token);
            await AzCopy.Upload(LocalFiles.Folder(("late.schema.json", schema)), token);
        })).Settled();
        var uploads = (await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder(("late.csv", csv)), 1)).Settled();

        var declared = new Dictionary<string, string> { ["code"] = "bigint", ["amount"] = "numeric", ["day"] = "text" };
        var tables = await Tables(alice, ws);
        Assert.Equal(declared, Types(tables["early"]));
        Assert.Equal(declared, Types(tables["late"]));
        var rows = await alice.GetJson($"/api/workspaces/{ws}/tables/early/rows");
        Assert.Equal(1, rows.GetProperty("rows")[0][0].GetInt64());
        Assert.Equal(4, uploads.Count);
        Assert.All(uploads, u => Assert.Equal("routed", u.Str("status")));
    }

    [Fact]
    public async Task A_CSV_that_breaks_its_schema_loads_nothing_and_is_kept_in_the_inbox_with_a_precise_reason()
    {
        var (alice, ws, token) = await DatabaseToken();
        const string bad = "id,measured\n1,2026-01-01\n2,2026-13-45\n";
        var uploads = (await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder(("bad.csv", bad),
            ("bad.schema.json", """{ "fields": [ { "name": "id", "type": "integer" }, { "name": "measured", "type": "date" } ] }"""),
            ("notes.txt", "not a table")), 3)).Settled();
        var rejected = uploads.Single(u => u.Str("name") == "bad.csv");
        Assert.Equal("rejected", rejected.Str("status"));
        var error = rejected.Str("error");
        Assert.Contains("bad.csv", error);
        Assert.Contains("line 3", error);
        Assert.Contains("measured", error);
        Assert.Contains("2026-13-45", error);
        Assert.Contains("date", error);
        Assert.Equal("inbox/bad.csv", rejected.Str("location"));
        var notes = uploads.Single(u => u.Str("name") == "notes.txt");
        Assert.Equal(("routed", "inbox", "inbox/notes.txt"), (notes.Str("status"), notes.Str("routed_to"), notes.Str("location")));

        Assert.Empty(await Tables(alice, ws));
        Assert.Equal(bad, await alice.GetStringAsync($"/api/workspaces/{ws}/files/content?path=inbox/bad.csv"));
        Assert.Equal(["inbox/bad.csv", "inbox/notes.txt"], (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("path")).Order());
    }

    [Fact]
    public async Task Refused_files_of_one_name_from_two_database_tokens_at_once_are_each_kept_in_the_Inbox_under_a_name_of_their_own()
    {
        // An Inbox file holds the name first; then two database tokens deliver a CSV of that name at the same time,
        // both refused by their schema: their Inbox claims race for "bad (2).csv", the loser is retried and takes the next.
        var ws = InletApp.NewWorkspace("db");
        var alice = await app.SignedIn("alice", ws);
        var inbox = await alice.Issue(ws, new { reason = "plain files" });
        (await app.Host.UploadUntilDecided(alice, inbox, LocalFiles.Folder(("bad.csv", "just a file")), 1)).Settled();
        const string schema = """{ "fields": [ { "name": "id", "type": "integer" } ] }""";
        var tokens = new[]
        {
            await alice.Issue(ws, new { reason = "site A", upload_to_database = true }),
            await alice.Issue(ws, new { reason = "site B", upload_to_database = true }),
        };
        string[] contents = ["id\nnot-a-number-a\n", "id\nnot-a-number-b\n"];
        // Both tokens' files go to the database: two schemas loaded, two CSVs refused and kept.
        await app.Host.Until(UploadsDecided.Of(4, tokens),
            () => Task.WhenAll(tokens.Select((t, i) => AzCopy.Upload(LocalFiles.Folder(("bad.csv", contents[i]), ("bad.schema.json", schema)), t))));
        var uploads = (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToList();
        Assert.Equal(5, uploads.Count);
        var refused = uploads.Where(u => u.Str("name") == "bad.csv" && u.Str("status") == "rejected").ToList();
        Assert.Equal(2, refused.Count);
        Assert.Equal(["inbox/bad (2).csv", "inbox/bad (3).csv"], refused.Select(u => u.Str("location")).Order());
        Assert.Equal("just a file", await alice.GetStringAsync($"/api/workspaces/{ws}/files/content?path=inbox/bad.csv"));
        var kept = new List<string>();
        foreach (var upload in refused)
            kept.Add(await alice.GetStringAsync($"/api/workspaces/{ws}/files/content?path={Uri.EscapeDataString(upload.Str("location"))}"));
        Assert.Equal(contents, kept.Order());
        Assert.Empty(await Tables(alice, ws));
        // Each refused file's staged copy is deleted once its refusal is on record (the schemas stay staged for late reloads):
        // by the time the refusal's KeepRefusedUpload was handled, its delete after the commit has run.
        var workspace = new BlobServiceClient(TestServices.Storage).GetBlobContainerClient(WorkspaceStorage.ContainerFor(ws));
        var staged = new List<string>();
        await foreach (var blob in workspace.GetBlobsAsync(new GetBlobsOptions { Prefix = ".database/" }))
            staged.Add(blob.Name);
        Assert.Equal(2, staged.Count);
        Assert.All(staged, n => Assert.EndsWith("/bad.schema.json", n));
    }
}

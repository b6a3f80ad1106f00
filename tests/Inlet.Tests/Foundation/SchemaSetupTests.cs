using Npgsql;

namespace Inlet.Tests.Foundation;

/// <summary>Production applies schemas ahead of time and runs the Host with automatic creation off.</summary>
public sealed class SchemaSetupTests
{
    [Fact]
    public async Task Schemas_applied_by_resources_setup_serve_a_Host_that_creates_nothing_itself()
    {
        var postgres = await TestServices.CreateDatabase("inlet_setup");
        var (exit, output) = await HostProcess.Command(postgres, "resources", "setup");
        Assert.True(exit == 0, output);
        var tablesAfterSetup = await Tables(postgres);
        Assert.Contains("events.mt_events", tablesAfterSetup);
        Assert.Contains("ingestion.mt_doc_uploadrecord", tablesAfterSetup);
        Assert.Contains("tabular.mt_doc_workspacetable", tablesAfterSetup);

        await using var host = new HostProcess(postgres, new Dictionary<string, string> { ["Database__AutoCreate"] = "None" });
        await host.Start();
        var ws = InletApp.NewWorkspace("setup");
        await host.SignIn("alice", ws);
        var token = await host.Client.Issue(ws);
        var upload = await AzCopy.Copy(LocalFiles.Folder(("hello.txt", "hello")).FullName + "/*", token.Str("token"));
        Assert.True(upload.Succeeded, upload.Output);
        await TokenApi.Eventually(async () => (await host.Client.GetJson($"/api/workspaces/{ws}/inbox")).GetArrayLength() == 1, 30, "the file routed");
        Assert.Equal(tablesAfterSetup, await Tables(postgres)); // the Host added no table of its own
    }

    private static async Task<List<string>> Tables(string postgres)
    {
        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select table_schema || '.' || table_name from information_schema.tables where table_schema in ('events', 'inlet', 'tokens', 'ingestion', 'tabular', 'public') order by 1", connection);
        var tables = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            tables.Add(reader.GetString(0));
        return tables;
    }
}

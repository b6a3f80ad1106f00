using System.Diagnostics;
using System.Text;
using Npgsql;

namespace Inlet.Tests.Tabular;

/// <summary>
/// Issue #32 item 5: a deployment of the shared layout (every workspace a schema <c>ws_&lt;wsid&gt;</c> of Inlet's database,
/// bookkeeping in its <c>inlet_tabular</c>, logins connecting there) is moved by a Host of this version into a database per
/// workspace, with every table's types, keys, comments and rows, its rejects and loads, and its login still working.
/// The old layout is made from tables the real loaders made, moved back with pg_dump (not with Inlet's own code).
/// </summary>
public sealed class WorkspaceDatabaseMigrationTests(InletApp app) : IClassFixture<InletApp>
{
    private const string InferredCsv = "id,amount,day,ok,note\n1,1.5,2024-01-02,true,first\n2,2.25,2024-02-03,false,second\n3,ragged\n4,10,2024-03-04,true,\n";
    private const string PatientsCsv = "id,name,birth_date\n1,Ada Lovelace,1815-12-10\n2,\"Turing, Alan\",1912-06-23\n";
    private const string PatientsSchema = """
        { "name": "patients", "title": "Patients", "description": "One row per patient.",
          "fields": [
            { "name": "id", "type": "integer", "constraints": { "required": true } },
            { "name": "name", "type": "string", "title": "Full name", "description": "As written on the consent form" },
            { "name": "birth_date", "type": "date" } ],
          "primaryKey": "id" }
        """;
    private const string LogSchema = """
        { "name": "log", "mode": "append", "fields": [ { "name": "at", "type": "datetime" }, { "name": "event", "type": "string" } ] }
        """;

    [Fact]
    public async Task Tables_of_every_loader_rejects_and_a_login_of_the_shared_layout_move_into_the_workspaces_own_database_unchanged()
    {
        var ws = InletApp.NewWorkspace("mig");
        var alice = await app.SignedIn("alice", ws);
        var parquet = Path.Combine(Directory.CreateTempSubdirectory("mig-").FullName, "types.parquet");
        ParquetUploadTests.WriteWithParquetSharp(parquet, 2);
        await Load(app.Host, alice, ws, 0, ("inferred.csv", Encoding.UTF8.GetBytes(InferredCsv)), ("patients.csv", Encoding.UTF8.GetBytes(PatientsCsv)),
            ("patients.schema.json", Encoding.UTF8.GetBytes(PatientsSchema)), ("types.parquet", await File.ReadAllBytesAsync(parquet)),
            ("log.csv", Encoding.UTF8.GetBytes("at,event\n2026-01-01T00:00:00Z,start\n")), ("log.schema.json", Encoding.UTF8.GetBytes(LogSchema)));
        await Load(app.Host, alice, ws, 6, ("log.csv", Encoding.UTF8.GetBytes("at,event\n2026-01-02T00:00:00Z,more\n2026-01-03T00:00:00Z,end\n")),
            ("log.schema.json", Encoding.UTF8.GetBytes(LogSchema)));
        var login = await DatabaseCredentialsTests.Issue(alice, ws);
        var own = app.WorkspaceDatabase(ws);
        var before = await Snapshot(own, ws);
        Assert.Contains("table inferred", before);
        Assert.Contains("reject inferred", before);
        Assert.Contains("PRIMARY KEY (id)", before);
        Assert.Contains("numeric(9,3)", before);

        // The shared layout, as an Inlet before ADR 31 left it.
        await app.Host.StopAsync();
        var home = app.Postgres;
        var schema = "ws_" + ws.Replace('-', '_');
        var user = login.Str("user");
        await Admin(home, """
            create table if not exists inlet_tabular.loads (load_key text primary key, sequence bigserial not null, wsid text not null,
                table_name text not null, outcome jsonb not null, loaded_at timestamptz not null default now());
            create table if not exists inlet_tabular.rejects (seq bigserial primary key, wsid text not null, table_name text not null,
                load_key text not null, source text not null, line bigint not null, reason text not null, raw text not null);
            """);
        await Dump(own, home, $"--schema={schema}", "--no-owner", "--no-privileges");
        await Dump(own, home, "--data-only", "--table=inlet_tabular.loads", "--table=inlet_tabular.rejects");
        await Admin(TestServices.PostgresServer, $"drop database \"{new NpgsqlConnectionStringBuilder(own).Database}\" with (force)");
        await Admin(home, $"""
            delete from inlet_tabular.workspace_databases where wsid = '{ws}';
            grant connect on database "{new NpgsqlConnectionStringBuilder(home).Database}" to "{user}";
            grant usage on schema "{schema}" to "{user}";
            grant select on all tables in schema "{schema}" to "{user}";
            alter default privileges in schema "{schema}" grant select on tables to "{user}";
            alter role "{user}" inherit;
            """);
        var shared = new NpgsqlConnectionStringBuilder(home) { Username = user, Password = login.Str("password"), Pooling = false }.ConnectionString;
        await using (var old = new NpgsqlConnection(shared))
        {
            await old.OpenAsync();
            Assert.Equal(2L, await DatabaseCredentialsTests.Scalar(old, "select count(*) from patients")); // the old layout works as it did
        }

        // A Host of this version starts on it.
        await using var upgraded = await InletApp.OnDatabase(home);
        await TokenApi.Eventually(async () =>
        {
            await using var connection = new NpgsqlConnection(home);
            await connection.OpenAsync();
            return (long)(await DatabaseCredentialsTests.Scalar(connection, $"select count(*) from pg_namespace where nspname = '{schema}'"))! == 0;
        }, 60, "the old schema is gone from Inlet's database");

        Assert.Equal(before, await Snapshot(own, ws));
        await using (var check = new NpgsqlConnection(home))
        {
            await check.OpenAsync();
            Assert.Equal(0L, await DatabaseCredentialsTests.Scalar(check, $"select count(*) from inlet_tabular.loads where wsid = '{ws}'"));
            Assert.Equal(0L, await DatabaseCredentialsTests.Scalar(check, $"select count(*) from inlet_tabular.rejects where wsid = '{ws}'"));
        }
        // The login, with the password it had, reads its tables in its own database, and no longer reaches Inlet's.
        await using (var moved = await DatabaseCredentialsTests.Open(JsonSerializer.SerializeToElement(new Dictionary<string, object>
        {
            ["host"] = login.Str("host"), ["port"] = login.GetProperty("port").GetInt32(), ["database"] = new NpgsqlConnectionStringBuilder(own).Database!,
            ["user"] = user, ["password"] = login.Str("password"),
        })))
        {
            Assert.Equal(2L, await DatabaseCredentialsTests.Scalar(moved, "select count(*) from patients"));
            Assert.Equal(3L, await DatabaseCredentialsTests.Scalar(moved, "select count(*) from types"));
            Assert.Equal(3L, await DatabaseCredentialsTests.Scalar(moved, "select count(*) from log"));
        }
        await using (var refused = new NpgsqlConnection(shared))
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, (await Assert.ThrowsAsync<PostgresException>(() => refused.OpenAsync())).SqlState);

        var client = await upgraded.SignedIn("alice", ws);
        Assert.Equal(new NpgsqlConnectionStringBuilder(own).Database, (await client.GetJson($"/api/workspaces/{ws}/database/credentials")).Str("database"));
        var rejects = await client.GetJson($"/api/workspaces/{ws}/tables/inferred/rejects");
        Assert.Equal(3, Assert.Single(rejects.GetProperty("rejects").EnumerateArray()).GetProperty("line").GetInt64() - 1);
        // A load after the move comes after every moved one: the catalogue takes it (it never lets an older load overwrite a newer one).
        await Load(upgraded.Host, client, ws, 8, ("log.csv", Encoding.UTF8.GetBytes("at,event\n2026-01-04T00:00:00Z,again\n")),
            ("log.schema.json", Encoding.UTF8.GetBytes(LogSchema)));
        var log = (await client.GetJson($"/api/workspaces/{ws}/tables")).EnumerateArray().Single(t => t.Str("name") == "log");
        Assert.Equal(4, log.GetProperty("rows").GetInt64());
    }

    private static async Task Load(Alba.IAlbaHost host, HttpClient client, string ws, int routedBefore, params (string Name, byte[] Bytes)[] files)
    {
        // Definitions first: a CSV listed before its schema committed would load guessed and be reloaded after the wait.
        var token = await client.Issue(ws, new { reason = "tables", upload_to_database = true });
        var definitions = files.Where(f => f.Name.EndsWith(".json", StringComparison.Ordinal)).ToArray();
        await host.UploadUntilDecided(client, token, LocalFiles.Folder(definitions), definitions.Length, 120);
        var uploads = await host.UploadUntilDecided(client, token, LocalFiles.Folder(files.Except(definitions)), files.Length - definitions.Length, 120);
        Assert.True(uploads.Count(u => u.Str("status") == "routed") == routedBefore + files.Length, string.Join("\n", uploads.Select(u => u.GetRawText())));
    }

    /// <summary>Everything a user or Inlet relies on: each table's columns, types, constraints, indexes, comments and rows, and the bookkeeping rows.</summary>
    private static async Task<string> Snapshot(string database, string ws)
    {
        var schema = "ws_" + ws.Replace('-', '_');
        // Unpooled: the database is dropped and made again in between.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        var text = new StringBuilder();
        var tables = new List<string>();
        await using (var command = new NpgsqlCommand($"select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where nspname = '{schema}' and relkind = 'r' order by 1", connection))
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                tables.Add(reader.GetString(0));
        foreach (var table in tables)
        {
            var oid = $"'\"{schema}\".\"{table}\"'::regclass";
            text.AppendLine($"table {table}: {await One(connection, $"select obj_description({oid}, 'pg_class')")}");
            text.AppendLine(await One(connection, $"""
                select string_agg(format('%s %s %s %s', attname, format_type(atttypid, atttypmod), attnotnull, col_description(attrelid, attnum)), '; ' order by attnum)
                from pg_attribute where attrelid = {oid} and attnum > 0 and not attisdropped
                """));
            text.AppendLine(await One(connection, $"select string_agg(conname || ' ' || pg_get_constraintdef(oid), '; ' order by conname) from pg_constraint where conrelid = {oid}"));
            text.AppendLine(await One(connection, $"select string_agg(indexname || ' ' || indexdef, '; ' order by indexname) from pg_indexes where schemaname = '{schema}' and tablename = '{table}'"));
            text.AppendLine(await One(connection, $"select count(*) || ' ' || md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) from \"{schema}\".\"{table}\" t"));
        }
        await using (var command = new NpgsqlCommand("select table_name, load_key, sequence, outcome::text from inlet_tabular.loads order by sequence", connection))
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                text.AppendLine($"load {reader.GetString(0)} {reader.GetString(1)} {reader.GetInt64(2)} {reader.GetString(3)}");
        await using (var command = new NpgsqlCommand("select table_name, seq, load_key, source, line, reason, raw from inlet_tabular.rejects order by seq", connection))
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                text.AppendLine($"reject {reader.GetString(0)} {reader.GetInt64(1)} {reader.GetString(2)} {reader.GetString(3)} {reader.GetInt64(4)} {reader.GetString(5)} {reader.GetString(6)}");
        return text.ToString();
    }

    private static async Task<string> One(NpgsqlConnection connection, string sql) =>
        (await DatabaseCredentialsTests.Scalar(connection, sql)) is { } value and not DBNull ? value.ToString()! : "";

    private static async Task Admin(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await DatabaseCredentialsTests.Scalar(connection, sql);
    }

    /// <summary>PostgreSQL's own pg_dump piped into psql: the old layout made without Inlet's code.</summary>
    private static async Task Dump(string from, string to, params string[] options)
    {
        var bin = Environment.GetEnvironmentVariable("INLET_PG_BIN") is { Length: > 0 } b ? b : "/usr/lib/postgresql/15/bin";
        var source = new NpgsqlConnectionStringBuilder(from);
        var target = new NpgsqlConnectionStringBuilder(to);
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("-o");
        start.ArgumentList.Add("pipefail");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"\"{bin}/pg_dump\" -h {source.Host} -p {source.Port} -U {source.Username} -d {source.Database} {string.Join(" ", options)} " +
                               $"| \"{bin}/psql\" -v ON_ERROR_STOP=1 -q -h {target.Host} -p {target.Port} -U {target.Username} -d {target.Database}");
        start.Environment["PGPASSWORD"] = source.Password;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"pg_dump | psql failed: {await output}{await error}");
    }
}

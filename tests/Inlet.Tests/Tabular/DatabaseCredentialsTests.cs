using Inlet.Tabular.DatabaseCredentials;
using Microsoft.AspNetCore.Hosting;
using Npgsql;

namespace Inlet.Tests.Tabular;

/// <summary>A short statement timeout and a small connection limit, so that both can be exceeded in a test.</summary>
public sealed class DatabaseCredentialsApp : InletApp
{
    public const int ConnectionLimit = 3;

    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Database:WorkspaceStatementTimeout", "00:00:02");
        builder.UseSetting("Database:WorkspaceConnectionLimit", ConnectionLimit.ToString());
        builder.UseSetting("Database:WorkspaceSslMode", "disable");
        builder.UseSetting("Database:WorkspaceIdleInTransactionTimeout", "00:00:02");
        builder.UseSetting("Database:WorkspaceSessionSweepInterval", "00:00:00.5");
    }
}

/// <summary>
/// Inlet as a managed PostgreSQL service would have it: the workspace database belongs to a role that is
/// no superuser, only CREATEDB, CREATEROLE and pg_signal_backend (docs/operations.md).
/// </summary>
public sealed class NonSuperuserDatabaseApp : InletApp
{
    public string Manager { get; } = $"inlet_mgr_{Guid.NewGuid():N}"[..24];

    private string? _workspaceDatabase;

    protected override void Configure(IWebHostBuilder builder)
    {
        _workspaceDatabase ??= Prepare().GetAwaiter().GetResult();
        builder.UseSetting("ConnectionStrings:WorkspaceDatabase", _workspaceDatabase);
        builder.UseSetting("Database:WorkspaceSslMode", "disable");
    }

    private async Task<string> Prepare()
    {
        var password = Guid.NewGuid().ToString("N");
        var database = Manager + "_db";
        await using var connection = new NpgsqlConnection(TestServices.PostgresServer);
        await connection.OpenAsync();
        foreach (var sql in new[]
        {
            $"create role {Manager} login createrole createdb password '{password}'", $"grant pg_signal_backend to {Manager}", $"create database {database} owner {Manager}",
        })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(TestServices.PostgresServer) { Database = database, Username = Manager, Password = password }.ConnectionString;
    }
}

public sealed class DatabaseCredentialsNonSuperuserTests(NonSuperuserDatabaseApp app) : IClassFixture<NonSuperuserDatabaseApp>
{
    [Fact]
    public async Task A_role_with_only_CREATEROLE_and_pg_signal_backend_issues_rotates_and_revokes_logins_and_without_CREATEROLE_the_answer_says_what_to_grant()
    {
        var ws = InletApp.NewWorkspace("dbm");
        var alice = await app.SignedIn("alice", ws);
        var first = await DatabaseCredentialsTests.Issue(alice, ws);
        await using (var session = await DatabaseCredentialsTests.Open(first))
        {
            // Loaded after the login exists, by the non-superuser owner: its default privileges apply.
            await DatabaseCredentialsTests.Load(app, alice, ws, 0, ("late.csv", "a\n1\n2\n"));
            Assert.Equal(2L, await DatabaseCredentialsTests.Scalar(session, "select count(*) from late"));
            Assert.Equal("0", await DatabaseCredentialsTests.Scalar(session, "select count(*)::text from pg_roles where rolname = current_user and rolsuper"));
            var second = await DatabaseCredentialsTests.Issue(alice, ws);
            await Assert.ThrowsAnyAsync<Exception>(() => DatabaseCredentialsTests.Scalar(session, "select 1")); // ended with pg_signal_backend alone
            Assert.Equal(PostgresErrorCodes.InvalidPassword, (await Assert.ThrowsAsync<PostgresException>(() => DatabaseCredentialsTests.Open(first))).SqlState);
            await using (var rotated = await DatabaseCredentialsTests.Open(second))
                Assert.Equal(2L, await DatabaseCredentialsTests.Scalar(rotated, "select count(*) from late"));
            Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"/api/workspaces/{ws}/database/credentials")).StatusCode);
            await Assert.ThrowsAsync<PostgresException>(() => DatabaseCredentialsTests.Open(second));
        }

        await using var admin = new NpgsqlConnection(TestServices.PostgresServer);
        await admin.OpenAsync();
        await DatabaseCredentialsTests.Scalar(admin, $"alter role {app.Manager} nocreaterole");
        try
        {
            var other = InletApp.NewWorkspace("dbm");
            var bob = await app.SignedIn("bob", other);
            var refused = await bob.PostAsync($"/api/workspaces/{other}/database/credentials", null);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains("CREATEROLE", problem.Str("detail"));
            Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/workspaces/{other}/database/credentials")).StatusCode);
        }
        finally
        {
            await DatabaseCredentialsTests.Scalar(admin, $"alter role {app.Manager} createrole");
        }
    }
}

/// <summary>
/// The workspace database login as real PostgreSQL roles, tried with real connections: what it may read,
/// and every way it must fail (docs/adr/0019).
/// </summary>
public sealed class DatabaseCredentialsTests(DatabaseCredentialsApp app) : IClassFixture<DatabaseCredentialsApp>
{
    private static string Credentials(string ws) => $"/api/workspaces/{ws}/database/credentials";

    internal static async Task<JsonElement> Issue(HttpClient client, string ws)
    {
        var response = await client.PostAsync(Credentials(ws), null);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>The connection a client builds from the answer; a new physical connection every time (no pool), as psql, R or Python would open.</summary>
    private static NpgsqlConnection Login(JsonElement credentials, string? password = null) => new(new NpgsqlConnectionStringBuilder
    {
        Host = credentials.Str("host"),
        Port = credentials.GetProperty("port").GetInt32(),
        Database = credentials.Str("database"),
        Username = credentials.Str("user"),
        Password = password ?? credentials.Str("password"),
        Pooling = false,
        SslMode = SslMode.Disable,
    }.ConnectionString);

    internal static async Task<NpgsqlConnection> Open(JsonElement credentials, string? password = null)
    {
        var connection = Login(credentials, password);
        await connection.OpenAsync();
        return connection;
    }

    internal static async Task<object?> Scalar(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private static async Task<PostgresException> Refused(NpgsqlConnection connection, string sql) =>
        await Assert.ThrowsAsync<PostgresException>(() => Scalar(connection, sql));

    private async Task Admin(string sql, string? database = null)
    {
        await using var connection = new NpgsqlConnection(database ?? app.Postgres);
        await connection.OpenAsync();
        await Scalar(connection, sql);
    }

    private static async Task<List<(string Schema, string Table)>> AllTables(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select schemaname, tablename from pg_tables where schemaname not in ('pg_catalog', 'information_schema') order by 1, 2", connection);
        var tables = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            tables.Add((reader.GetString(0), reader.GetString(1)));
        return tables;
    }

    /// <summary>Files through a database token and the real AzCopy, exactly as an uploader loads them.</summary>
    internal static async Task Load(InletApp app, HttpClient client, string ws, int routedBefore, params (string Name, string Content)[] files)
    {
        var token = await client.Issue(ws, new { reason = "tables", upload_to_database = true });
        var uploads = await app.Host.UploadUntilDecided(client, token, LocalFiles.Folder(files), files.Length, 90);
        Assert.Equal(routedBefore + files.Length, uploads.Count(u => u.Str("status") == "routed"));
    }

    [Fact]
    public async Task The_login_reads_every_table_of_its_workspace_including_ones_loaded_later_and_nothing_else()
    {
        var ws = InletApp.NewWorkspace("dbc");
        var alice = await app.SignedIn("alice", ws);
        await Load(app, alice, ws, 0, ("patients.csv", "id,name\n1,Ada\n2,Alan\n3,Grace\n"));

        var credentials = await Issue(alice, ws);
        Assert.False(credentials.GetProperty("rotated").GetBoolean());
        Assert.Equal("ws_" + ws.Replace('-', '_'), credentials.Str("schema"));
        Assert.Equal("inlet_ws_" + ws.Replace('-', '_'), credentials.Str("database")); // the workspace's own database
        var url = new Uri(credentials.Str("url"));
        Assert.Equal("postgresql", url.Scheme);
        Assert.Equal($"{credentials.Str("user")}:{credentials.Str("password")}", url.UserInfo);
        Assert.Equal("/" + credentials.Str("database"), url.AbsolutePath);
        Assert.Equal("?sslmode=disable", url.Query);
        Assert.Equal(2, credentials.GetProperty("statement_timeout_seconds").GetDouble());

        await using var login = await Open(credentials);
        // search_path is the workspace schema, so analysts write plain table names.
        Assert.Equal(3L, await Scalar(login, "select count(*) from patients"));
        Assert.Equal("Grace", await Scalar(login, $"select name from \"{credentials.Str("schema")}\".patients where id = 3"));

        // Loaded after the login was made: a new table, and a replacement of the first (a new table under the old name).
        await Load(app, alice, ws, 1, ("visits.csv", "visit,patient\n10,1\n11,2\n"), ("patients.csv", "id,name\n1,Ada\n2,Alan\n3,Grace\n4,Barbara\n"));
        Assert.Equal(4, (await alice.GetJson($"/api/workspaces/{ws}/tables")).EnumerateArray().Single(t => t.Str("name") == "patients").GetProperty("rows").GetInt64());
        Assert.Equal(2L, await Scalar(login, "select count(*) from visits"));
        Assert.Equal(4L, await Scalar(login, "select count(*) from patients"));

        // Another workspace with a table and a login of its own, each in a database of its own (docs/adr/0031): neither login sees the other's.
        var other = InletApp.NewWorkspace("dbc");
        var otherSchema = "ws_" + other.Replace('-', '_');
        var bob = await app.SignedIn("bob", other);
        var otherCredentials = await Issue(bob, other);
        Assert.NotEqual(credentials.Str("database"), otherCredentials.Str("database"));
        await Admin($"create table \"{otherSchema}\".secrets as select 42 as answer", app.WorkspaceDatabase(other)); // by Inlet's role, as a load would
        await using (var otherLogin = await Open(otherCredentials))
        {
            Assert.Equal(42, await Scalar(otherLogin, "select answer from secrets"));
            Assert.Contains((await Refused(otherLogin, $"select count(*) from \"{credentials.Str("schema")}\".patients")).SqlState,
                new[] { PostgresErrorCodes.InsufficientPrivilege, PostgresErrorCodes.UndefinedTable });
        }
        Assert.Contains((await Refused(login, $"select answer from \"{otherSchema}\".secrets")).SqlState, new[] { PostgresErrorCodes.InsufficientPrivilege, PostgresErrorCodes.UndefinedTable });
        foreach (var elsewhere in new[] { otherCredentials.Str("database"), new NpgsqlConnectionStringBuilder(app.Postgres).Database! })
        {
            var connect = await Assert.ThrowsAsync<PostgresException>(() => Open(JsonSerializer.SerializeToElement(new Dictionary<string, object>
            {
                ["host"] = credentials.Str("host"), ["port"] = credentials.GetProperty("port").GetInt32(), ["database"] = elsewhere,
                ["user"] = credentials.Str("user"), ["password"] = credentials.Str("password"),
            })));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, connect.SqlState);
        }

        // Every other table in its own database — Inlet's bookkeeping, anything in public — is closed to it.
        await Admin("create table public.shared as select 1 as a", app.WorkspaceDatabase(ws));
        var foreign = (await AllTables(app.WorkspaceDatabase(ws))).Where(t => t.Schema != credentials.Str("schema")).ToList();
        var schemas = string.Join(", ", foreign.Select(t => t.Schema).Distinct());
        foreach (var schema in new[] { "inlet_tabular", "public" })
            Assert.True(foreign.Any(t => t.Schema == schema), $"no table in schema {schema} (schemas: {schemas})"); // the walk below covers them
        foreach (var (schema, table) in foreign)
        {
            var refused = await Refused(login, $"select 1 from \"{schema}\".\"{table}\" limit 1");
            Assert.True(refused.SqlState == PostgresErrorCodes.InsufficientPrivilege, $"{schema}.{table}: {refused.SqlState} {refused.MessageText}");
        }

        // Sessions start read-only; and with that switched off, creating anything is still refused.
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, (await Refused(login, "create table mine (a int)")).SqlState);
        await Scalar(login, "set default_transaction_read_only = off");
        foreach (var create in new[]
        {
            "create table mine (a int)", $"create table \"{credentials.Str("schema")}\".mine (a int)", "create table public.mine (a int)",
            "create table inlet_tabular.mine (a int)", "create temp table mine (a int)", "create schema mine", "create view mine as select 1",
            "create function mine() returns int language sql as 'select 1'",
        })
        {
            var refused = await Refused(login, create);
            Assert.True(refused.SqlState == PostgresErrorCodes.InsufficientPrivilege, $"{create}: {refused.SqlState} {refused.MessageText}");
        }
        var write = await Refused(login, "insert into patients (id, name) values (5, 'Mallory')");
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, write.SqlState);
        Assert.Equal(4L, await Scalar(login, "select count(*) from patients"));

        // The statement timeout ends a long query; the session survives it.
        var slow = await Refused(login, "select pg_sleep(5)");
        Assert.Equal(PostgresErrorCodes.QueryCanceled, slow.SqlState);
        Assert.Contains("statement timeout", slow.MessageText);
        Assert.Equal(1, await Scalar(login, "select 1"));

        // At most the configured number of sessions at once.
        var more = new List<NpgsqlConnection>();
        for (var i = 1; i < DatabaseCredentialsApp.ConnectionLimit; i++)
            more.Add(await Open(credentials));
        var tooMany = await Assert.ThrowsAsync<PostgresException>(() => Open(credentials));
        Assert.Equal(PostgresErrorCodes.TooManyConnections, tooMany.SqlState);
        foreach (var connection in more)
            await connection.DisposeAsync();
    }

    [Fact]
    public async Task Rotation_invalidates_the_old_password_and_revocation_ends_the_login_and_its_sessions_all_on_the_audit_trail()
    {
        var ws = InletApp.NewWorkspace("dbr");
        var alice = await app.SignedIn("alice", ws);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync(Credentials(ws))).StatusCode);

        var first = await Issue(alice, ws);
        var shown = await alice.GetJson(Credentials(ws));
        Assert.Equal(first.Str("user"), shown.Str("user"));
        Assert.Equal("alice", shown.Str("issued_by"));
        Assert.False(shown.TryGetProperty("password", out _), "the password is shown only once");
        Assert.False(shown.TryGetProperty("url", out _), "the URL, which holds the password, is shown only once");
        var firstSession = await Open(first);
        Assert.Equal(1, await Scalar(firstSession, "select 1"));

        var second = await Issue(alice, ws);
        Assert.True(second.GetProperty("rotated").GetBoolean());
        Assert.Equal(first.Str("user"), second.Str("user"));
        Assert.NotEqual(first.Str("password"), second.Str("password"));
        var old = await Assert.ThrowsAsync<PostgresException>(() => Open(first));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, old.SqlState);
        // The session opened with the old password was ended with it.
        await Assert.ThrowsAnyAsync<Exception>(() => Scalar(firstSession, "select 1"));
        await firstSession.DisposeAsync();
        Assert.NotNull((await alice.GetJson(Credentials(ws))).GetProperty("rotated_at").GetString());

        var secondSession = await Open(second);
        Assert.Equal(1, await Scalar(secondSession, "select 1"));
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync(Credentials(ws))).StatusCode);
        await Assert.ThrowsAnyAsync<Exception>(() => Scalar(secondSession, "select 1"));
        await secondSession.DisposeAsync();
        var revoked = await Assert.ThrowsAsync<PostgresException>(() => Open(second));
        Assert.Contains(revoked.SqlState, new[] { PostgresErrorCodes.InvalidPassword, PostgresErrorCodes.InvalidAuthorizationSpecification });
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync(Credentials(ws))).StatusCode);
        await using (var admin = new NpgsqlConnection(app.Postgres))
        {
            await admin.OpenAsync();
            await using var command = new NpgsqlCommand("select count(*) from pg_roles where rolname = $1", admin) { Parameters = { new() { Value = first.Str("user") } } };
            Assert.Equal(0L, await command.ExecuteScalarAsync());
        }
        // Revoking again changes nothing and says so the same way.
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync(Credentials(ws))).StatusCode);

        // A new login after a revocation works, and is a new issue rather than a rotation.
        var third = await Issue(alice, ws);
        Assert.False(third.GetProperty("rotated").GetBoolean());
        await using (var thirdSession = await Open(third))
            Assert.Equal(1, await Scalar(thirdSession, "select 1"));

        var audit = await alice.GetStringAsync($"/api/workspaces/{ws}/audit");
        var entries = JsonDocument.Parse(audit).RootElement.EnumerateArray().Where(e => e.Str("type").StartsWith("database_credentials_", StringComparison.Ordinal)).ToList();
        Assert.Equal(["database_credentials_issued", "database_credentials_rotated", "database_credentials_revoked", "database_credentials_issued"],
            entries.Select(e => e.Str("type")));
        Assert.All(entries, e => Assert.Equal("alice", e.Str("by")));
        Assert.All(entries, e => Assert.Equal(first.Str("user"), e.GetProperty("details").Str("user")));
        Assert.Equal(1, entries[1].GetProperty("details").GetProperty("sessions_ended").GetInt32());
        Assert.Equal(1, entries[2].GetProperty("details").GetProperty("sessions_ended").GetInt32());
        // Rows of the flat audit projection like every other entry: no token (tid null), the workspace, the hash chain.
        Assert.All(entries, e => Assert.Equal(JsonValueKind.Null, e.GetProperty("tid").ValueKind));
        Assert.All(entries, e => Assert.Equal(ws, e.Str("wsid")));
        Assert.All(entries, e => Assert.False(string.IsNullOrEmpty(e.Str("hash"))));
        Assert.True((await alice.GetJson($"/api/workspaces/{ws}/audit/verify")).GetProperty("valid").GetBoolean());
        // The type filter finds them, and the CSV export carries them with their details.
        const string types = "database_credentials_issued,database_credentials_rotated,database_credentials_revoked";
        var page = await alice.GetJson($"/api/workspaces/{ws}/audit?type={types}");
        Assert.Equal(entries.Select(e => e.GetProperty("seq").GetInt64()), page.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()));
        var csv = await alice.GetStringAsync($"/api/workspaces/{ws}/audit?format=csv&type={types}");
        var rows = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var header = rows[0].Split(',');
        Assert.Contains("details.user", header);
        Assert.Contains("details.sessions_ended", header);
        Assert.Equal(5, rows.Length);
        Assert.All(rows.Skip(1), row => Assert.Contains(first.Str("user"), row));
        Assert.Equal(["database_credentials_issued", "database_credentials_rotated", "database_credentials_revoked", "database_credentials_issued"],
            rows.Skip(1).Select(row => row.Split(',')[Array.IndexOf(header, "type")]));
        Assert.DoesNotContain(new[] { first, second, third }.Select(c => c.Str("password")), password => csv.Contains(password, StringComparison.Ordinal));
        foreach (var password in new[] { first, second, third }.Select(c => c.Str("password")))
        {
            Assert.False(audit.Contains(password, StringComparison.Ordinal), "a password appears in the audit trail");
            Assert.False((await alice.GetStringAsync(Credentials(ws))).Contains(password, StringComparison.Ordinal), "a password appears in the login's listing");
        }
    }

    [Fact]
    public async Task A_session_that_lifts_its_own_timeouts_is_still_stopped_at_the_configured_limits()
    {
        var ws = InletApp.NewWorkspace("dbt");
        var alice = await app.SignedIn("alice", ws);
        var credentials = await Issue(alice, ws);

        await using var slow = await Open(credentials);
        await Scalar(slow, "set statement_timeout = 0"); // any session may lift the role's default
        var started = DateTime.UtcNow;
        var cancelled = await Refused(slow, "select pg_sleep(30)");
        Assert.Equal(PostgresErrorCodes.QueryCanceled, cancelled.SqlState);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15), $"cancelled only after {DateTime.UtcNow - started}");
        Assert.Equal(1, await Scalar(slow, "select 1")); // the statement was cancelled, not the session

        await using var idle = await Open(credentials);
        await Scalar(idle, "set idle_in_transaction_session_timeout = 0");
        await Scalar(idle, "begin");
        await Scalar(idle, "select count(*) from pg_class");
        await Task.Delay(TimeSpan.FromSeconds(5));
        await Assert.ThrowsAnyAsync<Exception>(() => Scalar(idle, "select 1")); // the session was ended

        // Inlet's own sessions are never touched, however long they run.
        await using var own = new NpgsqlConnection(app.Postgres);
        await own.OpenAsync();
        Assert.Equal("", (await Scalar(own, "select pg_sleep(4)::text")) as string);
    }

    [Fact]
    public void POST_issues_when_there_is_no_active_login_and_rotates_when_there_is_and_DELETE_revokes_only_an_active_one()
    {
        var now = DateTimeOffset.UnixEpoch;
        Assert.IsType<DatabaseCredentialsIssued>(DatabaseCredentialsDecisions.Issue(null, "ws-a", "inlet_ws_ws_a", "alice", 0, now));
        var active = new WorkspaceDatabaseLogin { Id = WorkspaceDatabaseLogin.IdFor("ws-a"), Wsid = "ws-a", User = "inlet_ws_ws_a", Active = true };
        var rotated = Assert.IsType<DatabaseCredentialsRotated>(DatabaseCredentialsDecisions.Issue(active, "ws-a", "inlet_ws_ws_a", "bob", 2, now));
        Assert.Equal(2, rotated.SessionsEnded);
        Assert.Equal("bob", rotated.By);
        Assert.NotNull(DatabaseCredentialsDecisions.Revoke(active, "bob", 1, now));
        var revoked = new WorkspaceDatabaseLogin { Id = active.Id, Wsid = "ws-a", User = active.User, Active = false };
        Assert.Null(DatabaseCredentialsDecisions.Revoke(revoked, "bob", 0, now));
        Assert.Null(DatabaseCredentialsDecisions.Revoke(null, "bob", 0, now));
        Assert.IsType<DatabaseCredentialsIssued>(DatabaseCredentialsDecisions.Issue(revoked, "ws-a", "inlet_ws_ws_a", "alice", 0, now));
        Assert.NotEqual(WorkspaceDatabaseLogin.IdFor("ws-a"), WorkspaceDatabaseLogin.IdFor("ws-b"));
    }

    [Fact]
    public void Passwords_are_32_letters_and_digits_and_the_verifier_has_PostgreSQLs_SCRAM_form()
    {
        var passwords = Enumerable.Range(0, 100).Select(_ => ScramVerifier.NewPassword()).ToList();
        Assert.All(passwords, p => Assert.Matches("^[A-Za-z0-9]{32}$", p));
        Assert.Equal(100, passwords.Distinct().Count());
        Assert.Matches(@"^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$", ScramVerifier.For(passwords[0]));
        Assert.DoesNotContain(passwords[0], ScramVerifier.For(passwords[0]));
        Assert.Throws<ArgumentException>(() => ScramVerifier.For("p@ss word"));
    }
}

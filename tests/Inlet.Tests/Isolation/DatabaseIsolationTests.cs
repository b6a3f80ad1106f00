using System.Diagnostics;
using Alba;
using Inlet.Tests.Tabular;
using Microsoft.AspNetCore.Hosting;
using Npgsql;

namespace Inlet.Tests.Isolation;

/// <summary>
/// Inlet with short limits for the attacks below. In <see cref="TwoNodeDatabaseIsolationApp"/> workspace B is served by a
/// second Host on the same databases, as on a two-node set-up; each attack then crosses nodes as well as workspaces.
/// </summary>
public class DatabaseIsolationApp : InletApp, IAsyncLifetime
{
    protected virtual bool TwoNodes => false;

    public IAlbaHost NodeB { get; private set; } = null!;

    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Database:WorkspaceSslMode", "disable");
        builder.UseSetting("Database:WorkspaceSessionSweepInterval", "00:00:00.5");
    }

    async Task IAsyncLifetime.InitializeAsync()
    {
        await InitializeAsync();
        NodeB = TwoNodes ? await StartHost() : Host;
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        if (!ReferenceEquals(NodeB, Host))
            await NodeB.DisposeAsync();
        await DisposeAsync();
    }
}

/// <summary>
/// Issue #32, workspace databases: what workspace A's real database login (from <c>POST …/database/credentials</c>) can do
/// to workspace B. Each attack worked on b10b5e1, where every login connected to Inlet's own database (docs/adr/0031).
/// </summary>
public abstract class DatabaseIsolationSuite(DatabaseIsolationApp app) : IAsyncLifetime
{
    /// <summary>What an Inlet step may take under attack before the attack counts as having stalled it.</summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(15);

    private sealed record Workspace(string Ws, HttpClient Client, JsonElement Login);

    private Workspace _a = null!;
    private Workspace _b = null!;

    public async Task InitializeAsync()
    {
        _a = await NewWorkspace("isa", onB: false);
        _b = await NewWorkspace("isb", onB: true);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<Workspace> NewWorkspace(string prefix, bool onB)
    {
        var ws = InletApp.NewWorkspace(prefix);
        var client = await SignedIn(onB ? app.NodeB : app.Host, ws);
        return new Workspace(ws, client, await DatabaseCredentialsTests.Issue(client, ws));
    }

    private static async Task<HttpClient> SignedIn(IAlbaHost host, string ws)
    {
        var client = host.Server.CreateClient();
        var response = await client.PostAsJsonAsync("/api/dev/sign-in", new { user = "member-of-" + ws, workspaces = new[] { ws } });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        client.DefaultRequestHeaders.Authorization = new("Bearer", body.Str("access_token"));
        return client;
    }

    private static Task<NpgsqlConnection> Login(Workspace w, string? database = null) => Connect(w.Login, database);

    /// <summary>
    /// Uploads with the real AzCopy and waits until every file of the token is decided, read from the API: whichever
    /// node lists the token's container (on two nodes, either) and loads its tables.
    /// </summary>
    private static async Task<List<JsonElement>> Upload(HttpClient client, JsonElement token, DirectoryInfo folder, int count)
    {
        await AzCopy.Upload(folder, token);
        List<JsonElement> mine = [];
        await TokenApi.Eventually(async () =>
        {
            mine = (await client.GetJson($"/api/workspaces/{token.Str("wsid")}/uploads")).EnumerateArray().Where(u => u.Str("tid") == token.Str("tid")).ToList();
            return mine.Count == count && mine.All(u => u.Str("status") != "pending");
        }, 90, $"{count} upload(s) of token {token.Str("tid")} decided");
        return mine;
    }

    private static async Task<NpgsqlConnection> Connect(JsonElement login, string? database = null)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = login.Str("host"),
            Port = login.GetProperty("port").GetInt32(),
            Database = database ?? login.Str("database"),
            Username = login.Str("user"),
            Password = login.Str("password"),
            Pooling = false,
            SslMode = SslMode.Disable,
            Timeout = 5,
        }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<object?> Scalar(NpgsqlConnection connection, string sql, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        return await command.ExecuteScalarAsync();
    }

    /// <summary>Runs an attack statement: true when PostgreSQL refused it for lack of privilege.</summary>
    private static async Task<bool> Refused(NpgsqlConnection connection, string sql, params object[] parameters)
    {
        try
        {
            await Scalar(connection, sql, parameters);
            return false;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            return true;
        }
    }

    private static async Task<T> Promptly<T>(Task<T> step, string what, TimeSpan? within = null)
    {
        var limit = within ?? Prompt;
        var watch = Stopwatch.StartNew();
        var done = await Task.WhenAny(step, Task.Delay(limit));
        Assert.True(done == step, $"{what} did not finish within {limit.TotalSeconds} s while A's login held its locks");
        var result = await step;
        Assert.True(watch.Elapsed < limit, $"{what} took {watch.Elapsed}");
        return result;
    }

    private async Task<NpgsqlConnection> Admin()
    {
        var connection = new NpgsqlConnection(app.Postgres);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Every advisory-lock key Inlet ever used for workspace B, as A's login can compute them.</summary>
    private static string[] OldKeysFor(string ws) =>
    [
        $"select pg_advisory_lock(hashtextextended('inlet.audit:{ws}', 0))",
        $"select pg_advisory_lock(hashtext('inlet_database_credentials:{ws}'))",
        "select pg_advisory_lock(hashtext('inlet_workspace_roles'))",
        "select pg_advisory_lock(hashtext('inlet_tabular_setup'))",
        $"select pg_advisory_lock(hashtext('ws_{ws.Replace('-', '_')}.held'))",
    ];

    [Fact]
    public async Task Advisory_locks_A_holds_on_Inlets_old_keys_stall_none_of_Bs_token_issuing_rotation_revocation_or_table_loads()
    {
        var b = await NewWorkspace("isl", onB: true);
        await using var attacker = await Login(_a);
        foreach (var key in OldKeysFor(b.Ws))
            await Refused(attacker, key); // refused where hardened; held otherwise, but only in A's own database, where Inlet takes none of them

        var token = await Promptly(b.Client.Issue(b.Ws, new { reason = "issued under attack", upload_to_database = true }), "B's token issuing");
        Assert.False(string.IsNullOrEmpty(token.Str("tid")));
        var rotated = await Promptly(b.Client.PostAsync($"/api/workspaces/{b.Ws}/database/credentials", null), "B's credential rotation");
        Assert.Equal(HttpStatusCode.Created, rotated.StatusCode);
        var uploads = await Promptly(Upload(b.Client, token, LocalFiles.Folder(("held.csv", "a\n1\n2\n")), 1), "B's table load", TimeSpan.FromSeconds(60)); // an upload, the metadata grace and the load
        Assert.Equal("routed", Assert.Single(uploads).Str("status"));
        var revoked = await Promptly(b.Client.DeleteAsync($"/api/workspaces/{b.Ws}/database/credentials"), "B's credential revocation");
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(1, await Scalar(attacker, "select 1")); // the attacker's session was never in the way, and is still there
    }

    [Fact]
    public async Task NOTIFY_from_As_login_never_reaches_a_LISTEN_of_Bs_login_or_of_Inlet()
    {
        await using var listener = await Login(_b);
        var received = new List<string>();
        listener.Notification += (_, e) => { lock (received) received.Add(e.Channel + ":" + e.Payload); };
        await Scalar(listener, "listen airlock");
        await using var inlet = await Admin(); // Inlet's own database: its notifications are no channel for a workspace either
        inlet.Notification += (_, e) => { lock (received) received.Add("inlet " + e.Channel + ":" + e.Payload); };
        await Scalar(inlet, "listen airlock");

        await using var attacker = await Login(_a);
        await Scalar(attacker, "notify airlock, 'from A'");
        try
        {
            await Scalar(attacker, "select pg_notify('airlock', 'from A again')");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
        }
        await listener.WaitAsync(TimeSpan.FromSeconds(1));
        await inlet.WaitAsync(TimeSpan.FromMilliseconds(200));
        Assert.Empty(received);

        // B's own session does hear B's own notifications: the listener works.
        await using var own = await Login(_b);
        await Scalar(own, "notify airlock, 'from B'");
        await listener.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(["airlock:from B"], received);
    }

    [Fact]
    public async Task A_login_can_neither_write_a_large_object_nor_read_one_of_another_workspace()
    {
        await using var attacker = await Login(_a);
        await Scalar(attacker, "set default_transaction_read_only = off"); // any session may
        uint? oid = null;
        try
        {
            oid = Convert.ToUInt32(await Scalar(attacker, "select lo_from_bytea(0, 'smuggled'::bytea)"));
            await Scalar(attacker, $"grant select on large object {oid} to public");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
        }
        if (oid is { } created)
        {
            // Not hardened (Inlet no superuser): the object stays in A's database, which B's login cannot see.
            await using var reader = await Login(_b);
            var error = await Assert.ThrowsAsync<PostgresException>(() => Scalar(reader, $"select lo_get({created})"));
            Assert.Contains(error.SqlState, new[] { PostgresErrorCodes.UndefinedObject, PostgresErrorCodes.InsufficientPrivilege });
        }
        foreach (var write in new[] { "select lo_create(0)", "select lo_creat(-1)", "select lo_import('/etc/hostname')" })
            Assert.True(oid is not null || await Refused(attacker, write), write);
    }

    [Fact]
    public async Task The_catalogue_As_login_reads_shows_nothing_of_Bs_tables_columns_or_schema_and_no_role_listing()
    {
        var token = await _b.Client.Issue(_b.Ws, new { reason = "a secret table", upload_to_database = true });
        var uploads = await Upload(_b.Client, token, LocalFiles.Folder(("secretb.csv", "id,diagnosis\n1,flu\n2,measles\n")), 1);
        Assert.Equal("routed", Assert.Single(uploads).Str("status"));
        await using (var own = await Login(_b))
            Assert.Equal(2L, await Scalar(own, "select count(*) from secretb")); // B's login does see it

        await using var attacker = await Login(_a);
        Assert.Equal(0L, await Scalar(attacker, "select count(*) from pg_class where relname = 'secretb'"));
        Assert.Equal(0L, await Scalar(attacker, "select count(*) from pg_attribute where attname = 'diagnosis'"));
        Assert.Equal(0L, await Scalar(attacker, "select count(*) from pg_namespace where nspname = $1", "ws_" + _b.Ws.Replace('-', '_')));
        Assert.Equal(0L, await Scalar(attacker, "select count(*) from pg_description where description = 'diagnosis'"));
        // The listings of roles, their settings, sessions and databases are closed; only role names stay readable (psql's \d needs them).
        foreach (var listing in new[]
        {
            "select * from pg_roles", "select rolconfig from pg_roles limit 1", "select count(*) from pg_user", "select count(*) from pg_auth_members",
            "select count(*) from pg_db_role_setting", "select count(*) from pg_stat_activity", "select count(*) from pg_database", "select count(*) from pg_stat_database",
            "select count(*) from pg_locks",
        })
            Assert.True(await Refused(attacker, listing), listing);
    }

    [Fact]
    public async Task As_login_cannot_connect_to_Bs_database_Inlets_database_postgres_or_template1()
    {
        var inlet = new NpgsqlConnectionStringBuilder(app.Postgres).Database!;
        foreach (var database in new[] { _b.Login.Str("database"), inlet, "postgres", "template1" })
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => Login(_a, database));
            Assert.True(refused.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.InvalidAuthorizationSpecification,
                $"{database}: {refused.SqlState} {refused.MessageText}");
        }
        await using var own = await Login(_a); // its own database it may
        Assert.Equal(_a.Login.Str("database"), await Scalar(own, "select current_database()"));
    }

    [Fact]
    public async Task Temp_tables_COPY_TO_PROGRAM_SET_ROLE_other_schemas_and_signalling_other_sessions_are_refused()
    {
        await using var attacker = await Login(_a);
        await using var victim = await Login(_b);
        await using var inlet = await Admin();
        var victimPid = Convert.ToInt32(await Scalar(victim, "select pg_backend_pid()"));
        var inletPid = Convert.ToInt32(await Scalar(inlet, "select pg_backend_pid()"));
        var inletRole = (string)(await Scalar(inlet, "select current_user"))!;

        await Scalar(attacker, "set default_transaction_read_only = off");
        Assert.True(await Refused(attacker, "create temp table smuggled (a text)"), "temp table");
        Assert.True(await Refused(attacker, "copy (select 1) to program 'id'"), "COPY TO PROGRAM");
        Assert.True(await Refused(attacker, $"set role \"{inletRole}\""), "SET ROLE");
        Assert.True(await Refused(attacker, "create table public.smuggled (a text)"), "CREATE in public");
        Assert.True(await Refused(attacker, "create schema smuggled"), "CREATE SCHEMA");
        var other = await Assert.ThrowsAsync<PostgresException>(() => Scalar(attacker, $"select * from \"ws_{_b.Ws.Replace('-', '_')}\".secretb"));
        Assert.Contains(other.SqlState, new[] { PostgresErrorCodes.InsufficientPrivilege, PostgresErrorCodes.UndefinedTable, PostgresErrorCodes.InvalidSchemaName });
        foreach (var pid in new[] { victimPid, inletPid })
            foreach (var signal in new[] { "pg_cancel_backend", "pg_terminate_backend" })
                Assert.True(await Refused(attacker, $"select {signal}({pid})"), $"{signal} of {pid}");
        Assert.Equal(1, await Scalar(victim, "select 1"));
        Assert.Equal(1, await Scalar(inlet, "select 1"));
    }

    [Fact]
    public async Task Revoking_a_login_that_holds_advisory_locks_large_objects_and_an_open_transaction_answers_204_quickly_and_the_login_is_gone()
    {
        var c = await NewWorkspace("isr", onB: false);
        var token = await c.Client.Issue(c.Ws, new { reason = "a table to hold", upload_to_database = true });
        Assert.Equal("routed", Assert.Single(await Upload(c.Client, token, LocalFiles.Folder(("kept.csv", "a\n1\n")), 1)).Str("status"));

        await using var holder = await Login(c);
        foreach (var key in OldKeysFor(c.Ws))
            await Refused(holder, key); // held where it may; refused where hardened
        try
        {
            await Scalar(holder, "select lo_from_bytea(0, 'left behind'::bytea)");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
        }
        await using var open = await Login(c);
        await Scalar(open, "begin");
        Assert.Equal(1L, await Scalar(open, "select count(*) from kept")); // AccessShare on the table until the transaction ends
        await Scalar(open, "select count(*) from pg_class");

        var watch = Stopwatch.StartNew();
        var revoked = await Promptly(c.Client.DeleteAsync($"/api/workspaces/{c.Ws}/database/credentials"), "the revocation");
        Assert.True(revoked.StatusCode == HttpStatusCode.NoContent, $"{(int)revoked.StatusCode} {await revoked.Content.ReadAsStringAsync()}");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"the revocation took {watch.Elapsed}");

        await using var admin = await Admin();
        Assert.Equal(0L, await Scalar(admin, "select count(*) from pg_roles where rolname = $1", c.Login.Str("user")));
        Assert.Equal(0L, await Scalar(admin, "select count(*) from pg_stat_activity where usename = $1", c.Login.Str("user")));
        await Assert.ThrowsAnyAsync<Exception>(() => Scalar(holder, "select 1"));
        await Assert.ThrowsAnyAsync<Exception>(() => Scalar(open, "select 1"));
        await Assert.ThrowsAnyAsync<PostgresException>(() => Login(c));
        Assert.Equal(HttpStatusCode.NotFound, (await c.Client.GetAsync($"/api/workspaces/{c.Ws}/database/credentials")).StatusCode);
        var audit = await c.Client.GetJson($"/api/workspaces/{c.Ws}/audit?type=database_credentials_revoked");
        Assert.Single(audit.GetProperty("entries").EnumerateArray());
    }
}


public sealed class TwoNodeDatabaseIsolationApp : DatabaseIsolationApp
{
    protected override bool TwoNodes => true;
}

public sealed class DatabaseIsolationTests(DatabaseIsolationApp app) : DatabaseIsolationSuite(app), IClassFixture<DatabaseIsolationApp>;

/// <summary>The same attacks with workspace B served by a second node.</summary>
public sealed class TwoNodeDatabaseIsolationTests(TwoNodeDatabaseIsolationApp app) : DatabaseIsolationSuite(app), IClassFixture<TwoNodeDatabaseIsolationApp>;

/// <summary>
/// The same attacks where Inlet's role is no superuser (a managed server): pg_catalog cannot be hardened, so a login may
/// write large objects and take advisory locks — but only in its own database, and all of it goes with its revocation.
/// </summary>
public sealed class DatabaseIsolationNonSuperuserTests(NonSuperuserDatabaseApp app) : IClassFixture<NonSuperuserDatabaseApp>
{
    [Fact]
    public async Task Without_superuser_a_logins_large_objects_and_locks_stay_in_its_own_database_and_revocation_still_answers_204_and_drops_them()
    {
        var a = InletApp.NewWorkspace("ina");
        var b = InletApp.NewWorkspace("inb");
        var alice = await app.SignedIn("alice", a);
        var bob = await app.SignedIn("bob", b);
        var loginA = await DatabaseCredentialsTests.Issue(alice, a);
        var loginB = await DatabaseCredentialsTests.Issue(bob, b);

        await using var attacker = await DatabaseCredentialsTests.Open(loginA);
        await DatabaseCredentialsTests.Scalar(attacker, "set default_transaction_read_only = off");
        var oid = Convert.ToUInt32(await DatabaseCredentialsTests.Scalar(attacker, "select lo_from_bytea(0, 'smuggled'::bytea)"));
        await DatabaseCredentialsTests.Scalar(attacker, $"grant select on large object {oid} to public");
        await DatabaseCredentialsTests.Scalar(attacker, $"select pg_advisory_lock(hashtext('inlet_database_credentials:{b}'))");
        await DatabaseCredentialsTests.Scalar(attacker, $"select pg_advisory_lock(hashtext('inlet_database_credentials:{a}'))");
        await using (var reader = await DatabaseCredentialsTests.Open(loginB))
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => DatabaseCredentialsTests.Scalar(reader, $"select lo_get({oid})"));
            Assert.Equal(PostgresErrorCodes.UndefinedObject, error.SqlState);
        }

        var rotated = await bob.PostAsync($"/api/workspaces/{b}/database/credentials", null).WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(HttpStatusCode.Created, rotated.StatusCode);
        var watch = Stopwatch.StartNew();
        var revoked = await alice.DeleteAsync($"/api/workspaces/{a}/database/credentials").WaitAsync(TimeSpan.FromSeconds(15));
        Assert.True(revoked.StatusCode == HttpStatusCode.NoContent, $"{(int)revoked.StatusCode} {await revoked.Content.ReadAsStringAsync()}");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"the revocation took {watch.Elapsed}");
        await using var admin = new NpgsqlConnection(TestServices.WorkspaceDatabase(TestServices.PostgresServer, a));
        await admin.OpenAsync();
        Assert.Equal(0L, await DatabaseCredentialsTests.Scalar(admin, $"select count(*) from pg_largeobject_metadata where oid = {oid}"));
        Assert.Equal(0L, await DatabaseCredentialsTests.Scalar(admin, $"select count(*) from pg_roles where rolname = '{loginA.Str("user")}'"));
    }
}

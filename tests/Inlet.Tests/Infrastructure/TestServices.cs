using Npgsql;

namespace Inlet.Tests.Infrastructure;

/// <summary>
/// The real services test.sh starts (PostgreSQL, Azurite, AzCopy), found through the same variables the
/// Host reads. Each fixture gets a database of its own, so no test depends on another's leftovers.
/// </summary>
public static class TestServices
{
    public static string PostgresServer => Require("ConnectionStrings__Postgres");

    /// <summary>The workspace account (workspace containers, ws-…).</summary>
    public static string Storage => Require("ConnectionStrings__Storage");

    /// <summary>The landing account, where upload tokens' containers are (docs/adr/0030).</summary>
    public static string Landing => Require("ConnectionStrings__Landing");

    /// <summary>The landing account's name, as new tokens' events and containers record it.</summary>
    public static string LandingAccountName => Landing.Split(';').Single(p => p.StartsWith("AccountName=", StringComparison.Ordinal)).Split('=', 2)[1];

    public static string AzCopyPath => Require("INLET_AZCOPY");

    private static string Require(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{variable} is not set: run the tests with ./test.sh, which starts PostgreSQL, Azurite and AzCopy for them.");

    /// <summary>The checkout the tests were built from (the folder holding Monolith.sln).</summary>
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Monolith.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Monolith.sln not found above the test binaries");
    }

    /// <summary>Stops or starts the very PostgreSQL or Azurite test.sh started (eng/service-control.sh), for fault tests.</summary>
    public static async Task Control(string action)
    {
        var start = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepoRoot(), "eng", "service-control.sh"));
        start.ArgumentList.Add(action);
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"eng/service-control.sh {action} failed: {await output}{await error}");
        NpgsqlConnection.ClearAllPools(); // this process's own pooled connections did not survive a restart either
    }

    public static async Task<string> CreateDatabase(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)];
        await using var connection = new NpgsqlConnection(PostgresServer);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"create database \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(PostgresServer) { Database = name }.ConnectionString;
    }

    /// <summary>A workspace's own database on the test server, under the default role prefix (docs/adr/0031).</summary>
    public static string WorkspaceDatabase(string server, string wsid) =>
        new NpgsqlConnectionStringBuilder(server) { Database = "inlet_ws_" + wsid.Replace('-', '_') }.ConnectionString;

    /// <summary>
    /// The workspace databases a fixture's Hosts created (listed in its database) and their logins, dropped with it: each is a
    /// database of its own on the one test server, which would otherwise fill its disk over the suite.
    /// </summary>
    public static async Task DropWorkspaceDatabases(string connectionString)
    {
        var names = new List<string>();
        await using (var fixture = new NpgsqlConnection(connectionString))
        {
            await fixture.OpenAsync();
            await using var command = new NpgsqlCommand("select database from inlet_tabular.workspace_databases", fixture);
            try
            {
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                    names.Add(reader.GetString(0));
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
            {
                return; // no workspace database was ever made
            }
        }
        await using var connection = new NpgsqlConnection(PostgresServer);
        await connection.OpenAsync();
        foreach (var name in names)
        {
            await using (var drop = new NpgsqlCommand($"drop database if exists \"{name}\" with (force)", connection))
                await drop.ExecuteNonQueryAsync();
            await using (var role = new NpgsqlCommand($"drop role if exists \"{name}\"", connection))
            {
                try
                {
                    await role.ExecuteNonQueryAsync();
                }
                catch (PostgresException)
                {
                    // still granted something elsewhere: left to the throw-away cluster
                }
            }
        }
    }

    /// <summary>Drops a fixture's database once it is done, closing every connection still open to it (this process's pools too).</summary>
    public static async Task DropDatabase(string connectionString)
    {
        await using (var pooled = new NpgsqlConnection(connectionString))
            NpgsqlConnection.ClearPool(pooled);
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await using var connection = new NpgsqlConnection(PostgresServer);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"drop database if exists \"{name}\" with (force)", connection);
        await command.ExecuteNonQueryAsync();
    }
}

using Npgsql;

namespace Inlet.Tests.Infrastructure;

/// <summary>
/// The real services test.sh starts (PostgreSQL, Azurite, AzCopy), found through the same variables the
/// Host reads. Each fixture gets a database of its own, so no test depends on another's leftovers.
/// </summary>
public static class TestServices
{
    public static string PostgresServer => Require("ConnectionStrings__Postgres");

    public static string Storage => Require("ConnectionStrings__Storage");

    public static string AzCopyPath => Require("INLET_AZCOPY");

    private static string Require(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{variable} is not set: run the tests with ./test.sh, which starts PostgreSQL, Azurite and AzCopy for them.");

    public static async Task<string> CreateDatabase(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)];
        await using var connection = new NpgsqlConnection(PostgresServer);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"create database \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(PostgresServer) { Database = name }.ConnectionString;
    }
}

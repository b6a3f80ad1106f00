using Inlet.BuildingBlocks.Storage;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Inlet.Host.Health;

/// <summary>
/// The event store's and the workspace tables' connection pools. After PostgreSQL restarts, every idle
/// pooled connection is dead and would fail the next request that borrows it; clearing the pools when an
/// outage is seen (readiness, or a request failing on a lost connection) lets the Host recover by itself.
/// </summary>
public sealed class PostgresPools(NpgsqlDataSource eventStore)
{
    public void Clear(IServiceProvider services)
    {
        eventStore.Clear();
        services.GetService<Inlet.Tabular.Database.WorkspaceDatabase>()?.ClearPools();
    }

    /// <summary>A connection lost or refused (not a bad query): the request may simply be tried again.</summary>
    public static bool IsOutage(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
            if (e is NpgsqlException { IsTransient: true } or PostgresException { SqlState: "57P01" or "57P02" or "57P03" })
                return true;
        return false;
    }
}

public sealed class PostgresReadiness(IConfiguration config, PostgresPools pools, IServiceProvider services) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(config.GetConnectionString("Postgres")) { Timeout = 5, Pooling = false };
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand("select 1", connection);
            await command.ExecuteScalarAsync(ct);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e)
        {
            pools.Clear(services);
            return HealthCheckResult.Unhealthy("PostgreSQL is not reachable: " + e.GetType().Name);
        }
    }
}

/// <summary>Both accounts (docs/adr/0030): uploads land in one and are routed into the other, so either down stops ingestion.</summary>
public sealed class BlobStorageReadiness(StorageAccounts storage) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        var failed = await Task.WhenAll(Check("workspace", storage.Workspace, timeout.Token), Check("landing", storage.Landing, timeout.Token));
        var problems = failed.OfType<string>().ToList();
        return problems.Count == 0 ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("Blob storage is not reachable: " + string.Join("; ", problems));
    }

    private static async Task<string?> Check(string which, StorageAccount account, CancellationToken ct)
    {
        try
        {
            await account.Service.GetPropertiesAsync(ct);
            return null;
        }
        catch (Exception e)
        {
            return $"the {which} account ({e.GetType().Name})";
        }
    }
}

/// <summary><c>{"status": "Healthy|Degraded|Unhealthy", "checks": {"postgres": {"status", "description"}, …}}</c>.</summary>
public static class ReadinessReport
{
    public static Task Write(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }));
    }
}

using Inlet.BuildingBlocks.Audit;
using Inlet.Tabular.Catalogue;
using Inlet.Tabular.Database;
using Inlet.Tabular.DatabaseCredentials;
using Inlet.Tabular.LoadTable;
using Inlet.Tabular.ReceiveFile;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Wolverine;

namespace Inlet.Tabular;

public static class TabularModule
{
    public const string Schema = "tabular";

    /// <param name="eventStoreConnection">Used for the workspace tables too unless <c>ConnectionStrings:WorkspaceDatabase</c> names another server.</param>
    public static IServiceCollection AddTabularModule(this IServiceCollection services, IConfiguration config, string eventStoreConnection)
    {
        services.Configure<TabularOptions>(config.GetSection("Tabular"));
        var workspaceDatabase = config.GetConnectionString("WorkspaceDatabase") is { Length: > 0 } configured ? configured : eventStoreConnection;
        // The uploader must learn which key is duplicated; PostgreSQL's error detail says so.
        var connection = new NpgsqlConnectionStringBuilder(workspaceDatabase) { IncludeErrorDetail = true };
        services.AddSingleton(sp => new WorkspaceDatabase(connection.ConnectionString, eventStoreConnection,
            sp.GetRequiredService<IOptions<DatabaseCredentialsOptions>>(), sp.GetRequiredService<ILogger<WorkspaceDatabase>>()));
        services.AddHostedService<WorkspaceDatabaseStartup>();
        services.AddSingleton<TableLoader>();
        // The scanner is a building block (ADR 23): a load scans a file staged unscanned in its own read (docs/adr/0037).
        services.TryAddSingleton<Inlet.BuildingBlocks.Scanning.ClamdClient>();
        services.AddOptions<Inlet.BuildingBlocks.Scanning.ScanningOptions>().Bind(config.GetSection("Scanning"));
        services.AddOptions<DatabaseCredentialsOptions>().Bind(config.GetSection("Database"))
            .Validate(o => o.WorkspaceConnectionLimit >= 1, "Database:WorkspaceConnectionLimit must be at least 1.")
            .Validate(o => o.WorkspaceStatementTimeout >= TimeSpan.FromSeconds(1), "Database:WorkspaceStatementTimeout must be at least 1 second (0 would mean no limit).")
            .Validate(o => o.WorkspaceIdleInTransactionTimeout >= TimeSpan.FromSeconds(1), "Database:WorkspaceIdleInTransactionTimeout must be at least 1 second (0 would mean no limit).")
            .Validate(o => o.WorkspaceSessionSweepInterval > TimeSpan.Zero, "Database:WorkspaceSessionSweepInterval must be positive.")
            .Validate(o => o.WorkspacePoolSize >= 1, "Database:WorkspacePoolSize must be at least 1.")
            .ValidateOnStart();
        services.AddSingleton<WorkspaceRoles>();
        services.AddSingleton<WorkspaceSessionLimits>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<WorkspaceSessionLimits>());
        services.ConfigureMarten(opts =>
        {
            opts.Events.AddEventType<TableLoaded>();
            opts.Events.AddEventType<TableLoadFailed>();
            opts.Projections.Add<WorkspaceTableProjection>(ProjectionLifecycle.Inline);
            opts.AddAuditMap(TableAudit.Map);
            opts.Events.AddEventType<DatabaseCredentialsIssued>();
            opts.Events.AddEventType<DatabaseCredentialsRotated>();
            opts.Events.AddEventType<DatabaseCredentialsRevoked>();
            opts.Projections.Add<WorkspaceDatabaseLoginProjection>(ProjectionLifecycle.Inline);
            opts.AddAuditMap(DatabaseCredentialsAudit.Map);
            opts.Schema.For<WorkspaceDatabaseLogin>().DatabaseSchemaName(Schema);
            opts.Schema.For<WorkspaceTable>().DatabaseSchemaName(Schema).Index(x => x.Wsid);
            opts.Schema.For<StagedTableFile>().DatabaseSchemaName(Schema).Index(x => x.Tid);
            opts.Schema.For<RecordedTableLoad>().DatabaseSchemaName(Schema);
        });
        return services;
    }

    /// <summary>Loads queue on their own local queue, at most <see cref="TabularOptions.MaxConcurrentLoads"/> at once on a node.</summary>
    public static void ConfigureTabularMessaging(this WolverineOptions opts, IConfiguration config)
    {
        var loads = config.GetSection("Tabular").Get<TabularOptions>()?.MaxConcurrentLoads ?? new TabularOptions().MaxConcurrentLoads;
        opts.LocalQueueFor<LoadTable.LoadTable>().MaximumParallelMessages(Math.Max(1, loads));
    }
}

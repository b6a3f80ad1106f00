using Inlet.BuildingBlocks.Audit;
using Inlet.Tabular.Catalogue;
using Inlet.Tabular.Database;
using Inlet.Tabular.LoadTable;
using Inlet.Tabular.ReceiveFile;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

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
        services.AddSingleton(_ => new WorkspaceDatabase(NpgsqlDataSource.Create(connection)));
        services.AddSingleton<TableLoader>();
        services.ConfigureMarten(opts =>
        {
            opts.Events.AddEventType<TableLoaded>();
            opts.Events.AddEventType<TableLoadFailed>();
            opts.Projections.Add<WorkspaceTableProjection>(ProjectionLifecycle.Inline);
            opts.AddAuditMap(TableAudit.Map);
            opts.Schema.For<WorkspaceTable>().DatabaseSchemaName(Schema).Index(x => x.Wsid);
            opts.Schema.For<StagedTableFile>().DatabaseSchemaName(Schema).Index(x => x.Tid);
            opts.Schema.For<RecordedTableLoad>().DatabaseSchemaName(Schema);
        });
        return services;
    }
}

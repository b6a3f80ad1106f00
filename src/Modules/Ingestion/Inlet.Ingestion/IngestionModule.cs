using Inlet.BuildingBlocks.Storage;
using Inlet.Ingestion.Detection;
using Inlet.Ingestion.Retention;
using Inlet.Ingestion.ReviewInbox;
using Inlet.Ingestion.Routing;
using Inlet.Ingestion.TokenContainers;
using Inlet.Ingestion.WorkspaceFiles;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Wolverine;

namespace Inlet.Ingestion;

public static class IngestionModule
{
    public const string Schema = "ingestion";

    public static IServiceCollection AddIngestionModule(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<IngestionOptions>(config.GetSection("Ingestion"));
        services.AddSingleton<WorkspaceStorage>();
        services.AddSingleton<RoutingLanes>();
        // Before the poller: hosted services stop in reverse order, so the poller has stopped listing when the
        // shares are given back (docs/adr/0025-one-poller-per-container.md).
        services.AddSingleton<PollShares>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<PollShares>());
        services.Configure<Inlet.BuildingBlocks.Scanning.ScanningOptions>(config.GetSection("Scanning"));
        services.AddSingleton<Inlet.BuildingBlocks.Scanning.ClamdClient>();
        services.AddSingleton<ContainerPoller>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<ContainerPoller>());
        services.AddSingleton<RetentionSweep>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<RetentionSweep>());
        services.ConfigureMarten(opts =>
        {
            opts.Events.AddEventType<UploadReceived>();
            opts.Events.AddEventType<UploadRouted>();
            opts.Events.AddEventType<UploadRejected>();
            opts.Events.AddEventType<UploadStaged>();
            opts.Events.AddEventType<UploadScanned>();
            opts.Events.AddEventType<UploadBlockedByScan>();
            opts.Events.AddEventType<DatabaseUploadRefused>();
            opts.Events.AddEventType<UploadApproved>();
            opts.Events.AddEventType<UploadApprovalGiven>();
            opts.Events.AddEventType<UploadRejectedByReviewer>();
            opts.Events.AddEventType<RejectedUploadPurged>();
            opts.Events.AddEventType<UploadCountedAgainstQuota>();
            opts.Events.AddEventType<UploadCrossedQuota>();
            // A token's quota usage, rebuilt from its stream at each counted decision (ADR 28).
            opts.Projections.LiveStreamAggregation<TokenQuotaUsage>();
            opts.Schema.For<WorkspaceSettings>().DatabaseSchemaName(Schema);
            opts.Projections.Add<UploadRecordProjection>(ProjectionLifecycle.Inline);
            Inlet.BuildingBlocks.Audit.AuditSchema.AddAuditMap(opts, UploadAudit.Map);
            opts.Schema.For<UploadRecord>().DatabaseSchemaName(Schema).Index(x => x.Wsid).Index(x => x.FilePath).Index(x => x.Tid);
            opts.Schema.For<DatabaseRouting.UploadProgress>().DatabaseSchemaName(Schema);
            opts.Schema.For<TokenContainer>().DatabaseSchemaName(Schema).Index(x => x.Container);
            opts.Schema.For<PathClaim>().DatabaseSchemaName(Schema);
            foreach (var table in PollShares.SchemaObjects())
                opts.Storage.ExtendedSchemaObjects.Add(table);
        });
        return services;
    }

    /// <summary>IngestBlob's size lanes, each a durable local queue with its own parallelism (<see cref="RoutingLanes"/>).</summary>
    public static void ConfigureIngestionMessaging(this WolverineOptions opts, IConfiguration config) => RoutingLanes.Configure(opts, config);
}

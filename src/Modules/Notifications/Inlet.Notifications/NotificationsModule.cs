using Inlet.BuildingBlocks.Audit;
using Inlet.Notifications.Deliveries;
using Inlet.Notifications.Webhooks;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using System.Xml.Linq;

namespace Inlet.Notifications;

public static class NotificationsModule
{
    public const string Schema = "notifications";

    public static IServiceCollection AddNotificationsModule(this IServiceCollection services, IConfiguration config, IHostEnvironment environment)
    {
        services.AddOptions<NotificationsOptions>().Bind(config.GetSection("Webhooks"))
            .PostConfigure(o =>
            {
                o.AllowLoopback = environment.IsDevelopment();
                if (o.RetryBackoff.Length == 0)
                    o.RetryBackoff = NotificationsOptions.DefaultBackoff;
            });
        services.AddSingleton<WebhookSender>();
        // Every node must read the secrets any node protected: the key ring lives in the event store's database.
        services.AddDataProtection().SetApplicationName("inlet");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = new MartenKeyRing(sp.GetRequiredService<IDocumentStore>())));
        services.ConfigureMarten(opts =>
        {
            opts.Events.AddEventType<WebhookCreated>();
            opts.Events.AddEventType<WebhookDeleted>();
            opts.Events.AddEventType<WebhookDeliveryGaveUp>();
            opts.Events.AddEventType<WebhookRecovered>();
            opts.Events.AddEventType<WebhookDisabled>();
            opts.Events.AddEventType<WebhookEnabled>();
            opts.Events.AddEventType<WebhookSecretRotated>();
            opts.Projections.LiveStreamAggregation<Webhook>();
            opts.Projections.Add<WebhookSummaryProjection>(ProjectionLifecycle.Inline);
            opts.AddAuditMap(WebhookAudit.Map);
            opts.Schema.For<WebhookSummary>().DatabaseSchemaName(Schema).Index(x => x.Wsid);
            opts.Schema.For<WebhookSecret>().DatabaseSchemaName(Schema);
            opts.Schema.For<WebhookDelivery>().DatabaseSchemaName(Schema).Index(x => x.WebhookId);
            opts.Schema.For<DeliveryChain>().DatabaseSchemaName(Schema).UseOptimisticConcurrency(true);
            opts.Schema.For<DataProtectionKey>().DatabaseSchemaName(Schema);
        });
        return services;
    }
}

/// <summary>One Data Protection key, as the XML ASP.NET writes.</summary>
public sealed class DataProtectionKey
{
    public string Id { get; set; } = "";
    public string Xml { get; set; } = "";
}

/// <summary>The Data Protection key ring in PostgreSQL, shared by every node. ASP.NET calls it synchronously and rarely
/// (at start and when a key is due to roll, about every 90 days), so blocking on Marten's async calls here is acceptable.</summary>
public sealed class MartenKeyRing(IDocumentStore store) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var session = store.QuerySession();
        return session.Query<DataProtectionKey>().ToListAsync().GetAwaiter().GetResult().Select(k => XElement.Parse(k.Xml)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var session = store.LightweightSession();
        session.Store(new DataProtectionKey { Id = friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting) });
        session.SaveChangesAsync().GetAwaiter().GetResult();
    }
}

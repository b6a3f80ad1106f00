using Inlet.BuildingBlocks.Audit;
using Inlet.Tokens.ArchiveUploadToken;
using Inlet.Tokens.Audit;
using Inlet.Tokens.ExpireUploadToken;
using Inlet.Tokens.IssueUploadToken;
using Inlet.Tokens.ListUploadTokens;
using Inlet.Tokens.RecordUsage;
using Inlet.Tokens.RevokeUploadToken;
using Inlet.Tokens.Storage;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Inlet.Tokens;

public static class TokensModule
{
    public const string Schema = "tokens";

    public static IServiceCollection AddTokensModule(this IServiceCollection services)
    {
        services.AddSingleton<UploadTokenStorage>();
        services.AddOptions<TokenRetentionOptions>().BindConfiguration("Tokens:Retention");
        services.AddSingleton<TokenArchiving>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<TokenArchiving>());
        services.ConfigureMarten(opts =>
        {
            opts.Events.AddEventType<UploadTokenIssued>();
            opts.Events.AddEventType<UploadTokenUsed>();
            opts.Events.AddEventType<UploadTokenRevoked>();
            opts.Events.AddEventType<UploadTokenExpired>();
            opts.Events.AddEventType<UploadTokenArchived>();
            opts.Events.AddEventType<ExhaustUploadToken.UploadTokenQuotaExhausted>();
            opts.Projections.Add<UploadTokenSummaryProjection>(ProjectionLifecycle.Inline);
            // The write model, rebuilt from the stream on every decision (a token has a handful of events).
            opts.Projections.LiveStreamAggregation<UploadToken>();
            opts.AddAuditMap(AuditEndpoints.Map);
            // Wsid and Date as real columns, indexed together with the id: the listing's page (newest first,
            // keyset cursor on date and id, ADR 18) is then an index range scan however many tokens.
            opts.Schema.For<UploadTokenSummary>().DatabaseSchemaName(Schema)
                .Duplicate(x => x.Wsid, notNull: true)
                .Duplicate(x => x.Date, pgType: "timestamp with time zone", notNull: true,
                    configure: index => { index.Columns = ["wsid", "date", "id"]; index.Name = "mt_doc_uploadtokensummary_wsid_date_id"; });
            opts.Schema.For<CountedUsage>().DatabaseSchemaName(Schema);
        });
        return services;
    }
}

using Inlet.Tokens.ExpireUploadToken;
using Inlet.Tokens.IssueUploadToken;
using Inlet.Tokens.ListUploadTokens;
using Inlet.Tokens.RecordUsage;
using Inlet.Tokens.RevokeUploadToken;
using Inlet.Tokens.Storage;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Inlet.Tokens;

public static class TokensModule
{
    public const string Schema = "tokens";

    public static IServiceCollection AddTokensModule(this IServiceCollection services)
    {
        services.AddSingleton<UploadTokenStorage>();
        services.ConfigureMarten(opts =>
        {
            opts.Events.AddEventType<UploadTokenIssued>();
            opts.Events.AddEventType<UploadTokenUsed>();
            opts.Events.AddEventType<UploadTokenRevoked>();
            opts.Events.AddEventType<UploadTokenExpired>();
            opts.Projections.Add<UploadTokenSummaryProjection>(ProjectionLifecycle.Inline);
            opts.Schema.For<UploadTokenSummary>().DatabaseSchemaName(Schema).Index(x => x.Wsid);
            opts.Schema.For<CountedUsageBatch>().DatabaseSchemaName(Schema);
        });
        return services;
    }
}

using System.Text.Json;
using Inlet.BuildingBlocks.Audit;
using Inlet.BuildingBlocks.Auth;
using Inlet.BuildingBlocks.Concurrency;
using Inlet.BuildingBlocks.Http;
using Inlet.BuildingBlocks.Storage;
using Inlet.Host;
using Inlet.Host.Health;
using Inlet.Host.Telemetry;
using Npgsql;
using Inlet.Host.WebPages;
using Inlet.Ingestion;
using Inlet.Notifications;
using Inlet.Tabular;
using Inlet.Tokens;
using Inlet.Tokens.Contracts;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.Core;
using Marten.Exceptions;
using Wolverine.ErrorHandling;
using Marten;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

var builder = WebApplication.CreateBuilder(args);
var config = builder.Configuration;

var postgres = config.GetConnectionString("Postgres")
    ?? throw new InvalidOperationException("ConnectionStrings:Postgres is not configured (environment variable ConnectionStrings__Postgres).");

var maxRequestBody = config.GetValue<long?>("Http:MaxRequestBodyBytes") ?? 1024 * 1024;
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = maxRequestBody);
builder.Services.AddSingleton(TimeProvider.System);
// Two accounts: workspace data and the landing account for upload tokens' containers (docs/adr/0030-landing-account.md).
var storageAccounts = StorageAccounts.FromConfiguration(config);
builder.Services.AddSingleton(storageAccounts);
builder.Services.AddSingleton(storageAccounts.Workspace);
builder.Services.ConfigureHttpJsonOptions(o => JsonDefaults.Apply(o.SerializerOptions));
builder.Services.AddProblemDetails();
builder.Services.AddOpenApi();
builder.Services.AddInletAuthentication(config, builder.Environment);
builder.Services.AddInletTelemetry(config);
builder.Services.AddHealthChecks()
    .AddCheck<PostgresReadiness>("postgres", tags: ["ready"])
    .AddCheck<BlobStorageReadiness>("blob-storage", tags: ["ready"])
    .AddCheck<Inlet.BuildingBlocks.Scanning.ScannerReadiness>("malware-scanner", tags: ["ready"]);

// Data sources the Host owns, so that their pools can be cleared of connections an outage broke.
var eventStore = NpgsqlDataSource.Create(postgres);
builder.Services.AddSingleton(_ => eventStore); // created by a factory, so the container disposes it with the Host
builder.Services.AddSingleton<PostgresPools>();
// Production may apply schemas ahead of time (`Inlet.Host resources setup`) and run with creation off.
var autoCreate = config.GetValue("Database:AutoCreate", AutoCreate.CreateOrUpdate);
var marten = builder.Services.AddMarten(opts =>
    {
        opts.Connection(eventStore);
        opts.DatabaseSchemaName = "inlet";
        opts.Events.DatabaseSchemaName = "events";
        opts.UseSystemTextJsonForSerialization();
        opts.AutoCreateSchemaObjects = autoCreate;
    })
    .UseLightweightSessions();
if (autoCreate != AutoCreate.None)
    marten.ApplyAllDatabaseChangesOnStartup();
marten.IntegrateWithWolverine();

builder.Services.AddAuditTrail();
builder.Services.AddTokensModule();
builder.Services.AddRateLimiter(options => Inlet.Tokens.IssueUploadToken.IssueRateLimit.Configure(options, config));
builder.Services.AddIngestionModule(config);
builder.Services.AddTabularModule(config, postgres);
builder.Services.AddNotificationsModule(config, builder.Environment);

builder.Host.UseWolverine(opts =>
{
    opts.ServiceName = "inlet";
    opts.AutoBuildMessageStorageOnStartup = autoCreate;
    opts.Discovery.IncludeAssembly(typeof(TokensModule).Assembly);
    opts.Discovery.IncludeAssembly(typeof(IngestionModule).Assembly);
    opts.Discovery.IncludeAssembly(typeof(TabularModule).Assembly);
    opts.Discovery.IncludeAssembly(typeof(NotificationsModule).Assembly);
    opts.Policies.AutoApplyTransactions();
    opts.Policies.UseDurableLocalQueues();
    opts.ConfigureIngestionMessaging(config);
    opts.ConfigureTabularMessaging(config);
    opts.Durability.Mode = DurabilityMode.Balanced;
    // A node that dies (crash, SIGKILL) leaves envelopes it owned; the survivors take them over soon.
    opts.Durability.HealthCheckPollingTime = 5.Seconds();
    opts.Durability.StaleNodeTimeout = 20.Seconds();
    opts.Durability.NodeReassignmentPollingTime = 5.Seconds();
    // Handlers on several nodes may append to the same stream (an expiry beside a usage batch):
    // a lost optimistic-concurrency race is retried, never dropped.
    opts.OnException(Concurrency.IsConflict, "lost a concurrency race")
        .RetryWithCooldown(50.Milliseconds(), 100.Milliseconds(), 250.Milliseconds(), 500.Milliseconds(), 1.Seconds())
        .Then.RetryWithCooldown(2.Seconds(), 5.Seconds(), 10.Seconds());
    // Storage or the database briefly out of reach: try again, then again later, rather than give up on a file.
    // Matched through inner exceptions too: Marten wraps a connection lost mid-transaction in
    // SessionTransactionUnusableException, and without this a usage batch was dead-lettered by an outage.
    opts.OnException(TransientFailure.Is, "storage or database briefly unreachable")
        .RetryWithCooldown(1.Seconds(), 5.Seconds(), 15.Seconds(), 30.Seconds())
        .Then.ScheduleRetry(1.Minutes(), 5.Minutes(), 15.Minutes(), 1.Hours());
    // The malware scanner down or slow: the file waits (never routed unscanned); tried again here with backoff,
    // then by the next listing of its container (or, for a message pushed by Event Grid, scheduled again later),
    // until clamd answers (docs/adr/0023-malware-scanning.md).
    opts.OnException<Inlet.BuildingBlocks.Scanning.ScannerUnavailableException>()
        .RetryWithCooldown(250.Milliseconds(), 1.Seconds(), 2.Seconds(), 4.Seconds())
        .Then.ScheduleRetry(15.Seconds(), 30.Seconds(), 1.Minutes(), 2.Minutes(), 5.Minutes(), 15.Minutes());
    // Usage comes one message per file; counted in batches, a large upload is a few audit entries.
    opts.BatchMessagesOf<RecordUploadTokenUsage>(batching =>
    {
        batching.BatchSize = 500;
        batching.TriggerTime = 250.Milliseconds();
    });
    // Handler and endpoint adapters are generated ahead (eng/codegen.sh) and compiled into this assembly:
    // compiling them with Roslyn at runtime kept ~190 MB more resident for the Host's whole life (ADR 6).
    opts.CodeGeneration.TypeLoadMode = TypeLoadMode.Static;
    if (config["CodeGeneration:OutputPath"] is { Length: > 0 } generatedCodePath)
        opts.CodeGeneration.GeneratedCodeOutputPath = generatedCodePath; // where `codegen write` puts its files
});
builder.Services.AddWolverineHttp();

var app = builder.Build();

app.UseExceptionHandler(errors => errors.Run(ErrorResponses.Write));
// Refused before any endpoint reads it: a declared length over the limit never reaches a handler.
app.Use(async (context, next) =>
{
    if (context.Request.ContentLength > maxRequestBody)
    {
        await Problems.Write(context, StatusCodes.Status413PayloadTooLarge, "Request body too large",
            $"The request body is {context.Request.ContentLength:N0} bytes; at most {maxRequestBody:N0} are accepted.");
        return;
    }
    await next(context);
});
app.UseStatusCodePages();
app.UseWebPages();
app.UseAuthentication();
app.UseMiddleware<WorkspaceAccessMiddleware>();
app.UseRateLimiter();
app.UseAuthorization();

app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
// The answer names each check and why it is not healthy (no secrets: the checks' descriptions carry none).
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = ReadinessReport.Write }).AllowAnonymous();
app.MapOpenApi();
if (app.Environment.IsDevelopment())
    app.MapDevSignIn();
app.MapWolverineEndpoints();

return await app.RunJasperFxCommands(args);

public partial class Program;

/// <summary>A failure that goes away by itself: storage or the database briefly out of reach.</summary>
internal static class TransientFailure
{
    public static bool Is(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
            if (e is Npgsql.NpgsqlException or Azure.RequestFailedException or IOException or TimeoutException or Marten.Exceptions.SessionTransactionUnusableException)
                return true;
        return false;
    }
}

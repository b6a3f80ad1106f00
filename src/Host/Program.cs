using System.Text.Json;
using Inlet.BuildingBlocks.Auth;
using Inlet.BuildingBlocks.Http;
using Inlet.BuildingBlocks.Storage;
using Inlet.Host;
using Inlet.Host.Health;
using Inlet.Host.WebPages;
using Inlet.Ingestion;
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
var storageConnection = config.GetConnectionString("Storage")
    ?? throw new InvalidOperationException("ConnectionStrings:Storage is not configured (environment variable ConnectionStrings__Storage).");

builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = config.GetValue<long?>("Http:MaxRequestBodyBytes") ?? 1024 * 1024);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton(new StorageAccount(storageConnection));
builder.Services.ConfigureHttpJsonOptions(o => JsonDefaults.Apply(o.SerializerOptions));
builder.Services.AddProblemDetails();
builder.Services.AddOpenApi();
builder.Services.AddInletAuthentication(config, builder.Environment);
builder.Services.AddHealthChecks()
    .AddCheck<PostgresReadiness>("postgres", tags: ["ready"])
    .AddCheck<BlobStorageReadiness>("blob-storage", tags: ["ready"]);

builder.Services.AddMarten(opts =>
    {
        opts.Connection(postgres);
        opts.DatabaseSchemaName = "inlet";
        opts.Events.DatabaseSchemaName = "events";
        opts.UseSystemTextJsonForSerialization();
        opts.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
    })
    .UseLightweightSessions()
    .ApplyAllDatabaseChangesOnStartup()
    .IntegrateWithWolverine();

builder.Services.AddTokensModule();
builder.Services.AddIngestionModule(config);
builder.Services.AddTabularModule(config, postgres);

builder.Host.UseWolverine(opts =>
{
    opts.ServiceName = "inlet";
    opts.Discovery.IncludeAssembly(typeof(TokensModule).Assembly);
    opts.Discovery.IncludeAssembly(typeof(IngestionModule).Assembly);
    opts.Discovery.IncludeAssembly(typeof(TabularModule).Assembly);
    opts.Policies.AutoApplyTransactions();
    opts.Policies.UseDurableLocalQueues();
    opts.Durability.Mode = DurabilityMode.Balanced;
    // A node that dies (crash, SIGKILL) leaves envelopes it owned; the survivors take them over soon.
    opts.Durability.HealthCheckPollingTime = 5.Seconds();
    opts.Durability.StaleNodeTimeout = 20.Seconds();
    opts.Durability.NodeReassignmentPollingTime = 5.Seconds();
    // Handlers on several nodes may append to the same stream (an expiry beside a usage batch):
    // a lost optimistic-concurrency race is retried, never dropped.
    opts.OnException<ConcurrencyException>().Or<ExistingStreamIdCollisionException>().Or<JasperFx.Events.ExistingStreamIdCollisionException>()
        .RetryWithCooldown(50.Milliseconds(), 100.Milliseconds(), 250.Milliseconds(), 500.Milliseconds(), 1.Seconds())
        .Then.RetryWithCooldown(2.Seconds(), 5.Seconds(), 10.Seconds());
    // Storage or the database briefly out of reach: try again, then again later, rather than give up on a file.
    opts.OnException<Npgsql.NpgsqlException>().Or<Azure.RequestFailedException>().Or<IOException>().Or<TimeoutException>()
        .RetryWithCooldown(1.Seconds(), 5.Seconds(), 15.Seconds())
        .Then.ScheduleRetry(1.Minutes(), 5.Minutes(), 15.Minutes(), 1.Hours());
    opts.LocalQueueFor<RecordUploadTokenUsage>().Sequential();
    opts.UseRuntimeCompilation();
    opts.CodeGeneration.TypeLoadMode = TypeLoadMode.Dynamic;
});
builder.Services.AddWolverineHttp();

var app = builder.Build();

app.UseExceptionHandler(errors => errors.Run(ErrorResponses.Write));
app.UseStatusCodePages();
app.UseWebPages();
app.UseAuthentication();
app.UseMiddleware<WorkspaceAccessMiddleware>();
app.UseAuthorization();

app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous();
app.MapOpenApi();
if (app.Environment.IsDevelopment())
    app.MapDevSignIn();
app.MapWolverineEndpoints();

return await app.RunJasperFxCommands(args);

public partial class Program;

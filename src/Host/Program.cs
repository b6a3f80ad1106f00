using System.Text.Json;
using Inlet.BuildingBlocks.Auth;
using Inlet.BuildingBlocks.Http;
using Inlet.BuildingBlocks.Storage;
using Inlet.Host;
using Inlet.Host.Health;
using Inlet.Tokens;
using JasperFx;
using JasperFx.CodeGeneration;
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

builder.Host.UseWolverine(opts =>
{
    opts.ServiceName = "inlet";
    opts.Discovery.IncludeAssembly(typeof(TokensModule).Assembly);
    opts.Policies.AutoApplyTransactions();
    opts.Policies.UseDurableLocalQueues();
    opts.Durability.Mode = DurabilityMode.Balanced;
    opts.UseRuntimeCompilation();
    opts.CodeGeneration.TypeLoadMode = TypeLoadMode.Dynamic;
});
builder.Services.AddWolverineHttp();

var app = builder.Build();

app.UseExceptionHandler(errors => errors.Run(ErrorResponses.Write));
app.UseStatusCodePages();
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

using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Alba;
using Inlet.BuildingBlocks.Http;
using JasperFx.CommandLine;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Inlet.Tests.Infrastructure;

/// <summary>
/// One Inlet Host under Alba, against a fresh PostgreSQL database and the shared Azurite.
/// Workspaces are named per fixture, so fixtures never see each other's tokens.
/// </summary>
public class InletApp : IAsyncLifetime
{
    public static readonly JsonSerializerOptions Json = JsonDefaults.Create();

    public const string EventGridKey = "test-event-grid-key";

    public TestClock Clock { get; } = new();

    /// <summary>A fixture's own settings on top of the common ones.</summary>
    protected virtual void Configure(IWebHostBuilder builder)
    {
    }

    /// <summary>Tokens one user may issue per minute; high here, so that tests issuing many tokens are not throttled.</summary>
    protected virtual int RateLimit => 100_000;

    public IAlbaHost Host { get; private set; } = null!;

    /// <summary>The node signed-in clients talk to: <see cref="Host"/>, or another node in a two-node fixture.</summary>
    protected virtual IAlbaHost ApiHost => Host;

    public string Postgres { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Postgres = await TestServices.CreateDatabase("inlet_test");
        _ownsDatabase = true;
        Host = await StartHost();
    }

    /// <summary>Another Host on the same database and storage, as a second node would be.</summary>
    public Task<IAlbaHost> StartHost()
    {
        JasperFxEnvironment.AutoStartHost = true;
        return AlbaHost.For<Program>(builder =>
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("ConnectionStrings:Postgres", Postgres);
            builder.UseSetting("ConnectionStrings:Storage", TestServices.Storage);
            builder.UseSetting("ConnectionStrings:Landing", TestServices.Landing);
            builder.UseSetting("Ingestion:MinPollInterval", "00:00:00.5");
            builder.UseSetting("Ingestion:MaxPollInterval", "00:00:05");
            builder.UseSetting("Ingestion:FinalSweepGrace", "00:00:02");
            builder.UseSetting("Ingestion:EventGridKey", EventGridKey);
            // 3 s: a folder's metadata committed a moment after its CSV must still be routed within the grace when the
            // whole suite shares 2 cores (at 2 s, DatabaseUploadTests once saw its datapackage.json arrive after the grace).
            builder.UseSetting("Tabular:MetadataGrace", "00:00:03");
            builder.UseSetting("Tabular:ProgressInterval", "00:00:00.1");
            builder.UseSetting("RateLimits:TokenIssuesPerUser", RateLimit.ToString());
            // Each workspace has a database and a pool of its own (ADR 31): idle connections go soon, so the suite's
            // many workspaces never add up to the test server's max_connections.
            builder.UseSetting("Database:WorkspacePoolIdleLifetime", "00:00:05");
            builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(Clock));
            Configure(builder);
        });
    }

    /// <summary>A node of its own on an existing database (another test's Host processes share it); dispose it when done.</summary>
    public static async Task<InletApp> OnDatabase(string postgres)
    {
        var app = new InletApp { Postgres = postgres };
        app.Host = await app.StartHost();
        return app;
    }

    private bool _ownsDatabase;

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        // Idle pooled connections of a finished fixture would otherwise stay open for minutes and, added up
        // over the suite's fixtures, exhaust the server's max_connections.
        if (_ownsDatabase)
        {
            await TestServices.DropWorkspaceDatabases(Postgres);
            await TestServices.DropDatabase(Postgres);
        }
    }

    /// <summary>The workspace's own database (docs/adr/0031), for a test's own look at what Inlet loaded.</summary>
    public string WorkspaceDatabase(string wsid) => TestServices.WorkspaceDatabase(Postgres, wsid);

    public static string NewWorkspace(string prefix = "ws") => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 40)];

    /// <summary>An HTTP client signed in through the Development sign-in endpoint.</summary>
    public async Task<HttpClient> SignedIn(string user, params string[] workspaces)
    {
        var client = ApiHost.Server.CreateClient();
        var response = await client.PostAsJsonAsync("/api/dev/sign-in", new { user, workspaces });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body.GetProperty("access_token").GetString());
        return client;
    }
}

/// <summary>
/// Two nodes on one database and storage, as production runs: the API is asked through the second node while the first
/// lists, routes and loads as much as the second does. Suites run on it to show that isolation does not depend on which
/// node decides.
/// </summary>
public sealed class TwoNodeInletApp : InletApp, IAsyncLifetime
{
    private IAlbaHost? _second;

    protected override IAlbaHost ApiHost => _second ?? Host;

    async Task IAsyncLifetime.InitializeAsync()
    {
        await InitializeAsync();
        _second = await StartHost();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        if (_second is not null)
            await _second.DisposeAsync();
        await DisposeAsync();
    }
}


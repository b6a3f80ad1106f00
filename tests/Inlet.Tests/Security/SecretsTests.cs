using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Inlet.Tests.Security;

/// <summary>Every log line the Host writes, at every level.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Lines);

    public void Dispose() { }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {state} {exception}");
    }
}

public sealed class DebugLoggingApp : InletApp
{
    public CapturingLoggerProvider Logs { get; } = new();

    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Logging:LogLevel:Default", "Trace");
        builder.UseSetting("Logging:LogLevel:Microsoft", "Trace");
        builder.UseSetting("Logging:LogLevel:Wolverine", "Trace");
        builder.UseSetting("Logging:LogLevel:Marten", "Trace");
        builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(Logs));
    }
}

/// <summary>A full scenario with every log at its most verbose: no SAS signature, account key or bearer token leaks anywhere.</summary>
[Collection(nameof(RunsAlone))]
public sealed class SecretsTests(DebugLoggingApp app) : IClassFixture<DebugLoggingApp>
{
    [Fact]
    public async Task No_secret_appears_in_logs_events_or_API_answers_except_the_one_creation_response()
    {
        var ws = InletApp.NewWorkspace("secrets");
        var alice = await app.SignedIn("alice", ws);
        var bearer = alice.DefaultRequestHeaders.Authorization!.Parameter!;
        var inboxToken = await alice.Issue(ws, new { reason = "secret-free" });
        var databaseToken = await alice.Issue(ws, new { reason = "tables", upload_to_database = true });
        var root = Directory.CreateTempSubdirectory("secrets-");
        await File.WriteAllTextAsync(Path.Combine(root.FullName, "notes.txt"), "hello");
        await File.WriteAllTextAsync(Path.Combine(root.FullName, "t.csv"), "a,b\n1,2\n");
        await app.Host.Until(UploadsDecided.Of(2, inboxToken, databaseToken), async () =>
        {
            Assert.True((await AzCopy.Copy(Path.Combine(root.FullName, "notes.txt"), inboxToken.Str("token"))).Succeeded);
            Assert.True((await AzCopy.Copy(Path.Combine(root.FullName, "t.csv"), databaseToken.Str("token"))).Succeeded);
        });
        Assert.Equal(2, (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().Count(u => u.Str("status") == "routed"));
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"/api/workspaces/{ws}/upload-tokens/{inboxToken.Str("tid")}")).StatusCode);
        // A database login issued, rotated (its listing read while active) and revoked, then issued again.
        var loginPasswords = new List<string>();
        async Task IssueLogin()
        {
            var issued = await alice.PostAsync($"/api/workspaces/{ws}/database/credentials", null);
            Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
            loginPasswords.Add((await issued.Content.ReadFromJsonAsync<JsonElement>()).Str("password"));
        }
        await IssueLogin();
        await IssueLogin();
        var loginListing = await alice.GetStringAsync($"/api/workspaces/{ws}/database/credentials");
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"/api/workspaces/{ws}/database/credentials")).StatusCode);
        await IssueLogin();

        var secrets = new Dictionary<string, string>
        {
            ["inbox SAS signature"] = Signature(inboxToken.Str("token")),
            ["database SAS signature"] = Signature(databaseToken.Str("token")),
            ["account key"] = TestServices.Storage.Split(';').Single(p => p.StartsWith("AccountKey=")).Split('=', 2)[1],
            ["landing account key"] = TestServices.Landing.Split(';').Single(p => p.StartsWith("AccountKey=")).Split('=', 2)[1],
            ["bearer token"] = bearer,
            ["bearer signature"] = bearer.Split('.')[2],
            ["first database password"] = loginPasswords[0],
            ["rotated database password"] = loginPasswords[1],
            ["database password"] = loginPasswords[2],
            // What PostgreSQL stores instead of the password (docs/adr/0019): not a password, but not for logs either.
            ["SCRAM verifier"] = "SCRAM-SHA-256$",
        };

        var answers = new StringBuilder(loginListing);
        foreach (var url in new[]
        {
            $"/api/workspaces/{ws}/upload-tokens", $"/api/workspaces/{ws}/upload-tokens/{inboxToken.Str("tid")}",
            $"/api/workspaces/{ws}/upload-tokens/{inboxToken.Str("tid")}/events", $"/api/workspaces/{ws}/upload-tokens/{databaseToken.Str("tid")}/events",
            $"/api/workspaces/{ws}/audit", $"/api/workspaces/{ws}/uploads", $"/api/workspaces/{ws}/inbox", $"/api/workspaces/{ws}/files",
            $"/api/workspaces/{ws}/tables", $"/api/workspaces/{ws}/tables/t/rows", $"/api/workspaces/{ws}/database/credentials", "/openapi/v1.json",
        })
            answers.AppendLine(await alice.GetStringAsync(url));

        var stored = new StringBuilder();
        await using (var connection = new NpgsqlConnection(app.Postgres))
        {
            await connection.OpenAsync();
            foreach (var sql in new[]
            {
                "select data::text from events.mt_events",
                "select string_agg(body::text, ' ') from (select encode(body, 'escape') as body from wolverine_incoming_envelopes union all select encode(body, 'escape') from wolverine_outgoing_envelopes) b",
            })
            {
                await using var command = new NpgsqlCommand(sql, connection);
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                    stored.AppendLine(reader.IsDBNull(0) ? "" : reader.GetString(0));
            }
        }
        var logs = string.Join('\n', app.Logs.Lines);
        Assert.True(app.Logs.Lines.Count > 100, $"only {app.Logs.Lines.Count} log lines captured: the scenario did not log at Debug");
        Assert.True(stored.Length > 1000, "the event store was not read");

        foreach (var (name, secret) in secrets)
        {
            Assert.False(logs.Contains(secret, StringComparison.Ordinal), $"the {name} appears in a log line");
            Assert.False(stored.ToString().Contains(secret, StringComparison.Ordinal), $"the {name} appears in an event or message");
            Assert.False(answers.ToString().Contains(secret, StringComparison.Ordinal), $"the {name} appears in an API answer");
        }
        Assert.DoesNotContain("sig=", answers.ToString());
    }

    private static string Signature(string sasUrl) =>
        Uri.UnescapeDataString(new Uri(sasUrl).Query.TrimStart('?').Split('&').Single(p => p.StartsWith("sig=")).Split('=', 2)[1]);
}

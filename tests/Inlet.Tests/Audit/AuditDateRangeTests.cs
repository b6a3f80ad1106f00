using Inlet.BuildingBlocks.Audit;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Inlet.Tests.Audit;

/// <summary>
/// Date-ranged audit pages read their seq bounds from audit.hours (docs/adr/0018, revision 2026-12-03). A class
/// of its own because it moves its Host's clock forward by hours, which the other audit tests' SAS tokens
/// must not see.
/// </summary>
public sealed class AuditDateRangeTests(InletApp app) : IClassFixture<InletApp>
{
    private static async Task<(List<JsonElement> Entries, long? Next)> Page(HttpClient client, string url)
    {
        var page = await client.GetJson(url);
        var next = page.GetProperty("next");
        return (page.GetProperty("entries").EnumerateArray().ToList(), next.ValueKind == JsonValueKind.Null ? null : next.GetInt64());
    }

    private static async Task<List<JsonElement>> All(HttpClient client, string url) =>
        (await client.GetJson(url)).EnumerateArray().ToList();

    [Fact]
    public async Task A_date_range_page_holds_exactly_the_entries_from_its_instants_at_any_hour_edge()
    {
        var ws = InletApp.NewWorkspace("ahour");
        var alice = await app.SignedIn("alice", ws);
        await alice.Issue(ws, new { reason = "a" });
        app.Clock.Advance(TimeSpan.FromMinutes(61));
        await alice.Issue(ws, new { reason = "b" });
        app.Clock.Advance(TimeSpan.FromMinutes(59));
        await alice.Issue(ws, new { reason = "c" });
        var all = await All(alice, $"/api/workspaces/{ws}/audit");
        var at = all.Select(e => e.GetProperty("at").GetDateTimeOffset()).ToArray();
        string Q(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ"));
        async Task<string[]> Reasons(string filter) =>
            (await Page(alice, $"/api/workspaces/{ws}/audit?{filter}")).Entries.Select(e => e.GetProperty("details").Str("reason")).ToArray();
        var tick = TimeSpan.FromTicks(10); // a microsecond: PostgreSQL keeps instants to the microsecond

        Assert.Equal(["b"], await Reasons($"from={Q(at[1])}&to={Q(at[1] + tick)}"));
        Assert.Equal(["b", "c"], await Reasons($"from={Q(at[0] + tick)}"));
        Assert.Equal(["a"], await Reasons($"to={Q(at[1])}"));
        Assert.Equal(["b"], await Reasons($"from={Q(at[0] + tick)}&to={Q(at[2])}"));
        Assert.Equal(["c", "b"], await Reasons($"from={Q(at[1])}&order=desc"));
        Assert.Empty(await Reasons($"from={Q(at[2] + tick)}"));
        Assert.Empty(await Reasons($"to={Q(at[0])}"));
        // The whole hour before the first entry and after the last: nothing filed there, so nothing comes back.
        Assert.Empty(await Reasons($"from={Q(at[0].AddHours(-3))}&to={Q(at[0].AddHours(-2))}"));

        // Paging one by one through a date range reaches every entry once.
        var seen = new List<string>();
        string? after = null;
        do
        {
            var (entries, next) = await Page(alice, $"/api/workspaces/{ws}/audit?from={Q(at[0])}&to={Q(at[2] + tick)}&limit=1" + (after is null ? "" : $"&after={after}"));
            seen.AddRange(entries.Select(e => e.GetProperty("details").Str("reason")!));
            after = next?.ToString();
        } while (after is not null);
        Assert.Equal(["a", "b", "c"], seen);
        var csv = await alice.GetStringAsync($"/api/workspaces/{ws}/audit?format=csv&from={Q(at[1])}&to={Q(at[2])}");
        Assert.Equal(2, csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length); // header and b
        // (The CSV download itself is an entry, after c: the range ends before it.)
        Assert.Equal("", await alice.GetStringAsync($"/api/workspaces/{ws}/audit?format=ndjson&from={Q(at[2] + tick)}&to={Q(at[2] + tick + tick)}"));
    }

    [Fact]
    public async Task The_hour_index_is_filled_from_existing_entries_when_it_is_created()
    {
        var ws = InletApp.NewWorkspace("abackf");
        var alice = await app.SignedIn("alice", ws);
        await alice.Issue(ws);
        app.Clock.Advance(TimeSpan.FromHours(3));
        await alice.Issue(ws);
        await alice.Issue(ws);
        var store = app.Host.Services.GetRequiredService<IDocumentStore>();
        var hours = store.Storage.AllObjects().Single(o => o.Identifier.QualifiedName == AuditSchema.Hours);
        var create = new StringWriter();
        hours.WriteCreateStatement(new Weasel.Postgresql.PostgresqlMigrator(), create);

        // Dropped and created again inside a transaction that is rolled back, so the rest of the suite never
        // sees the table missing (their appends wait on its lock for a moment instead).
        await using var connection = new NpgsqlConnection(app.Postgres);
        await connection.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        async Task<List<string>> Of()
        {
            await using var command = new NpgsqlCommand($"select hour || '|' || first_seq || '|' || last_seq from {AuditSchema.Hours} where wsid = @ws order by hour", connection, tx);
            command.Parameters.AddWithValue("ws", ws);
            var rows = new List<string>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
            return rows;
        }
        var before = await Of();
        Assert.InRange(before.Count, 2, 3); // three entries in two hours (three if the first pair straddles an hour)
        await using (var drop = new NpgsqlCommand($"drop table {AuditSchema.Hours}; {create}", connection, tx))
            await drop.ExecuteNonQueryAsync();
        Assert.Equal(before, await Of());
        await tx.RollbackAsync();
    }
}

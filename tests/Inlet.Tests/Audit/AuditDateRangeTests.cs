using Inlet.BuildingBlocks.Audit;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

using static Inlet.Tests.Audit.AuditPages;

namespace Inlet.Tests.Audit;

/// <summary>
/// Date-ranged audit pages read their seq bounds from audit.hour_starts and audit.late_hours (docs/adr/0018, revision 2026-12-03). A class
/// of its own because it moves its Host's clock forward by hours, which the other audit tests' SAS tokens
/// must not see.
/// </summary>
public sealed class AuditDateRangeTests(InletApp app) : IClassFixture<InletApp>
{
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
    public async Task An_entry_filed_after_a_later_hour_began_is_still_found_in_its_own_range()
    {
        var ws = InletApp.NewWorkspace("alate");
        var alice = await app.SignedIn("alice", ws);
        await alice.Issue(ws, new { reason = "a" });
        app.Clock.Advance(TimeSpan.FromHours(2));
        await alice.Issue(ws, new { reason = "b" });
        app.Clock.Advance(-TimeSpan.FromHours(1)); // c is appended after b but happened an hour before it
        await alice.Issue(ws, new { reason = "c" });
        app.Clock.Advance(TimeSpan.FromHours(1));
        var all = await All(alice, $"/api/workspaces/{ws}/audit");
        Assert.Equal(["a", "b", "c"], all.Select(e => e.GetProperty("details").Str("reason")));
        var at = all.Select(e => e.GetProperty("at").GetDateTimeOffset()).ToArray();
        string Q(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ"));
        async Task<string[]> Reasons(string filter) =>
            (await Page(alice, $"/api/workspaces/{ws}/audit?{filter}")).Entries.Select(e => e.GetProperty("details").Str("reason")).ToArray();
        var tick = TimeSpan.FromTicks(10);

        Assert.Equal(["c"], await Reasons($"from={Q(at[2])}&to={Q(at[2] + tick)}"));
        Assert.Equal(["c"], await Reasons($"from={Q(at[0] + tick)}&to={Q(at[1])}"));
        Assert.Equal(["a", "c"], await Reasons($"to={Q(at[1])}"));
        Assert.Equal(["b", "c"], await Reasons($"from={Q(at[2])}"));
    }

    [Fact]
    public async Task The_hour_starts_and_late_entries_are_filled_from_existing_entries_when_the_tables_are_created()
    {
        var ws = InletApp.NewWorkspace("abackf");
        var alice = await app.SignedIn("alice", ws);
        await alice.Issue(ws);
        app.Clock.Advance(TimeSpan.FromHours(3));
        await alice.Issue(ws);
        await alice.Issue(ws);
        app.Clock.Advance(-TimeSpan.FromHours(2)); // a late entry: its hour is older than the newest
        await alice.Issue(ws);
        app.Clock.Advance(TimeSpan.FromHours(2));
        var store = app.Host.Services.GetRequiredService<IDocumentStore>();
        var create = new StringWriter();
        foreach (var name in new[] { AuditSchema.Hours, AuditSchema.LateHours })
            store.Storage.AllObjects().Single(o => o.Identifier.QualifiedName == name).WriteCreateStatement(new Weasel.Postgresql.PostgresqlMigrator(), create);

        // Dropped and created again inside a transaction that is rolled back, so the rest of the suite never
        // sees the tables missing (their appends wait on the lock for a moment instead).
        await using var connection = new NpgsqlConnection(app.Postgres);
        await connection.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        async Task<List<string>> Of(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection, tx);
            command.Parameters.AddWithValue("ws", ws);
            var rows = new List<string>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
            return rows;
        }
        var starts = $"select hour || '|' || first_seq from {AuditSchema.Hours} where wsid = @ws order by hour";
        var late = $"select hour || '|' || seq from {AuditSchema.LateHours} where wsid = @ws order by hour, seq";
        var (startsBefore, lateBefore) = (await Of(starts), await Of(late));
        Assert.InRange(startsBefore.Count, 3, 4); // four entries in three hours (four if a pair straddles an hour)
        Assert.Single(lateBefore);
        await using (var drop = new NpgsqlCommand($"drop table {AuditSchema.Hours}; drop table {AuditSchema.LateHours}; {create}", connection, tx))
            await drop.ExecuteNonQueryAsync();
        Assert.Equal(startsBefore, await Of(starts));
        Assert.Equal(lateBefore, await Of(late));
        await tx.RollbackAsync();
    }
}

using Inlet.BuildingBlocks.Audit;
using JasperFx.Core;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

using static Inlet.Tests.Audit.AuditPages;

namespace Inlet.Tests.Audit;

/// <summary>The flat audit trail end to end (issue #17, docs/adr/0018): filters, cursor, exports, access events, hash chain, isolation.</summary>
public sealed class AuditTests(InletApp app) : IClassFixture<InletApp>
{
    [Fact]
    public async Task Each_filter_narrows_the_workspace_audit_and_the_token_trail()
    {
        var ws = InletApp.NewWorkspace("afilt");
        var alice = await app.SignedIn("alice", ws);
        var bob = await app.SignedIn("bob", ws);
        var first = await alice.Issue(ws, new { reason = "first" });
        var second = await bob.Issue(ws, new { reason = "second" });
        var start = app.Clock.GetUtcNow();
        app.Clock.Advance(TimeSpan.FromHours(2));
        var third = await alice.Issue(ws, new { reason = "third" });
        Assert.Equal(HttpStatusCode.NoContent, (await bob.DeleteAsync($"/api/workspaces/{ws}/upload-tokens/{second.Str("tid")}")).StatusCode);
        var all = await All(alice, $"/api/workspaces/{ws}/audit");
        Assert.Equal(["issued", "issued", "issued", "revoked"], all.Select(e => e.Str("type")));

        var revoked = (await Page(alice, $"/api/workspaces/{ws}/audit?type=revoked")).Entries;
        Assert.Equal(second.Str("tid"), Assert.Single(revoked).Str("tid"));
        Assert.Equal(4, (await Page(alice, $"/api/workspaces/{ws}/audit?type=issued,revoked")).Entries.Count);
        var byBob = (await Page(alice, $"/api/workspaces/{ws}/audit?by=bob")).Entries;
        Assert.Equal(["issued", "revoked"], byBob.Select(e => e.Str("type")));
        Assert.All(byBob, e => Assert.Equal("bob", e.Str("by")));
        var ofSecond = (await Page(alice, $"/api/workspaces/{ws}/audit?tid={second.Str("tid")}")).Entries;
        Assert.Equal(["issued", "revoked"], ofSecond.Select(e => e.Str("type")));
        var later = (await Page(alice, $"/api/workspaces/{ws}/audit?from={Uri.EscapeDataString(start.AddHours(1).ToString("O"))}")).Entries;
        Assert.Equal([third.Str("tid"), second.Str("tid")], later.Select(e => e.Str("tid")));
        var earlier = (await Page(alice, $"/api/workspaces/{ws}/audit?to={Uri.EscapeDataString(start.AddHours(1).ToString("O"))}")).Entries;
        Assert.Equal([first.Str("tid"), second.Str("tid")], earlier.Select(e => e.Str("tid")));
        var newest = (await Page(alice, $"/api/workspaces/{ws}/audit?order=desc&limit=2")).Entries;
        Assert.Equal(["revoked", "issued"], newest.Select(e => e.Str("type")));
        Assert.Equal(third.Str("tid"), newest[1].Str("tid"));
        // Every entry carries the flat row's fields.
        var entry = all[0];
        foreach (var field in new[] { "seq", "at", "wsid", "type", "tid", "upload", "table", "by", "details", "hash" })
            Assert.True(entry.TryGetProperty(field, out _), field);
        Assert.Equal(ws, entry.Str("wsid"));
        Assert.Equal("first", entry.GetProperty("details").Str("reason"));

        var trail = $"/api/workspaces/{ws}/upload-tokens/{second.Str("tid")}/events";
        Assert.Equal(["issued", "revoked"], (await All(alice, trail)).Select(e => e.Str("type")));
        Assert.Equal(["revoked"], (await Page(alice, trail + "?type=revoked")).Entries.Select(e => e.Str("type")));
        Assert.Empty((await Page(alice, trail + "?by=alice")).Entries);
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.GetAsync(trail + $"?tid={first.Str("tid")}")).StatusCode);
    }

    [Fact]
    public async Task The_upload_filter_finds_one_uploads_entries_and_a_download_is_recorded_with_who_and_what()
    {
        var ws = InletApp.NewWorkspace("aupl");
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws);
        await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder(("a.csv", "one"), ("b.csv", "two")), 2);
        var inbox = (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().ToList();
        Assert.Equal(2, inbox.Count);
        var a = inbox.Single(f => f.Str("path") == "inbox/a.csv");

        var ofA = (await Page(alice, $"/api/workspaces/{ws}/audit?upload={a.Str("id")}")).Entries;
        Assert.Equal(["upload_received", "upload_routed"], ofA.Select(e => e.Str("type")));
        Assert.All(ofA, e => Assert.Equal(a.Str("id"), e.Str("upload")));

        Assert.Equal("one", await alice.GetStringAsync($"/api/workspaces/{ws}/files/content?path=inbox/a.csv"));
        var downloads = (await Page(alice, $"/api/workspaces/{ws}/audit?type=file_downloaded")).Entries;
        var download = Assert.Single(downloads);
        Assert.Equal("alice", download.Str("by"));
        Assert.Equal(a.Str("id"), download.Str("upload"));
        Assert.Equal(token.Str("tid"), download.Str("tid"));
        Assert.Equal("inbox/a.csv", download.GetProperty("details").Str("path"));
        Assert.Equal(3, (await Page(alice, $"/api/workspaces/{ws}/audit?upload={a.Str("id")}")).Entries.Count);
        Assert.DoesNotContain("sig=", (await alice.GetStringAsync($"/api/workspaces/{ws}/audit")));
    }

    [Fact]
    public async Task Paging_with_the_cursor_sees_every_entry_exactly_once_while_new_events_arrive()
    {
        var ws = InletApp.NewWorkspace("acur");
        var alice = await app.SignedIn("alice", ws);
        for (var i = 0; i < 25; i++)
            await alice.Issue(ws, new { reason = $"before {i}" });

        var writer = Task.Run(async () =>
        {
            var tasks = Enumerable.Range(0, 40).Select(i => alice.Issue(ws, new { reason = $"during {i}" }));
            await Task.WhenAll(tasks);
        });
        var seen = new List<long>();
        long? after = null;
        while (true)
        {
            var (entries, next) = await Page(alice, $"/api/workspaces/{ws}/audit?limit=7" + (after is { } c ? $"&after={c}" : ""));
            seen.AddRange(entries.Select(e => e.GetProperty("seq").GetInt64()));
            if (next is null)
            {
                if (writer.IsCompleted)
                {
                    // One more question after the writes finished: whatever committed since the last page follows it.
                    var (rest, _) = await Page(alice, $"/api/workspaces/{ws}/audit?limit=1000&after={seen[^1]}");
                    seen.AddRange(rest.Select(e => e.GetProperty("seq").GetInt64()));
                    break;
                }
                await Task.Delay(20);
                after = seen.Count > 0 ? seen[^1] : null;
                continue;
            }
            after = next;
        }
        await writer;
        var final = (await All(alice, $"/api/workspaces/{ws}/audit")).Select(e => e.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(65, final.Count);
        Assert.Equal(final, seen);

        // Newest first, paged the same way, is the same set reversed.
        var down = new List<long>();
        long? before = null;
        do
        {
            var (entries, next) = await Page(alice, $"/api/workspaces/{ws}/audit?order=desc&limit=10" + (before is { } b ? $"&after={b}" : ""));
            down.AddRange(entries.Select(e => e.GetProperty("seq").GetInt64()));
            before = next;
        } while (before is not null);
        Assert.Equal(final.AsEnumerable().Reverse(), down);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("after=abc", "after")]
    [InlineData("tid=not-a-uuid", "tid")]
    [InlineData("upload=42", "upload")]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2026-12-02&to=2026-12-01", "to")]
    [InlineData("order=up", "order")]
    [InlineData("format=xml", "format")]
    [InlineData("colour=blue", "colour")]
    public async Task A_bad_parameter_is_a_problem_naming_the_field(string query, string field)
    {
        var ws = InletApp.NewWorkspace("abad");
        var alice = await app.SignedIn("alice", ws);
        var response = await alice.GetAsync($"/api/workspaces/{ws}/audit?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task Csv_and_ndjson_exports_stream_every_matching_entry_and_are_themselves_audited()
    {
        var ws = InletApp.NewWorkspace("aexp");
        var alice = await app.SignedIn("alice", ws);
        for (var i = 0; i < 120; i++)
            await alice.Issue(ws, new { reason = i == 0 ? "has, a comma and \"quotes\"" : $"token {i}" });
        var json = await All(alice, $"/api/workspaces/{ws}/audit");
        Assert.Equal(120, json.Count);

        var ndjson = await alice.GetAsync($"/api/workspaces/{ws}/audit?format=ndjson&type=issued");
        Assert.Equal("application/x-ndjson", ndjson.Content.Headers.ContentType?.MediaType);
        var lines = (await ndjson.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(120, lines.Length); // more than one page of 100: exports are not paged
        Assert.Equal(json.Select(e => e.GetProperty("seq").GetInt64()), lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("seq").GetInt64()));

        var csv = await alice.GetAsync($"/api/workspaces/{ws}/audit?format=csv&type=issued");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.Contains("attachment", csv.Content.Headers.ContentDisposition?.ToString());
        var text = await csv.Content.ReadAsStringAsync();
        var rows = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var header = rows[0].Split(',');
        Assert.Equal(["seq", "at", "wsid", "type", "tid", "upload", "table", "by", "hash"], header[..9]);
        Assert.Contains("details.reason", header);
        Assert.Contains("details.valid_to", header);
        Assert.Equal(121, rows.Length);
        Assert.Contains("\"has, a comma and \"\"quotes\"\"\"", rows[1]);
        Assert.StartsWith(json[0].GetProperty("seq").GetInt64() + ",", rows[1]);

        // The two downloads are in the trail, with who and what was asked for.
        var downloads = (await Page(alice, $"/api/workspaces/{ws}/audit?type=audit_downloaded")).Entries;
        Assert.Equal(["ndjson", "csv"], downloads.Select(d => d.GetProperty("details").Str("format")));
        Assert.All(downloads, d => Assert.Equal("alice", d.Str("by")));
        Assert.Equal("issued", downloads[0].GetProperty("details").Str("filter.type"));
    }

    [Fact]
    public async Task Settings_changes_and_refused_attempts_by_signed_in_users_are_audited()
    {
        var ws = InletApp.NewWorkspace("aacc");
        var alice = await app.SignedIn("alice", ws);
        var mallory = await app.SignedIn("mallory", "ws-elsewhere");
        Assert.Equal(HttpStatusCode.OK, (await alice.PutAsJsonAsync($"/api/workspaces/{ws}/settings", new { inbox_approval = true })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await mallory.GetAsync($"/api/workspaces/{ws}/audit?format=csv&secret=x")).StatusCode);

        var changed = Assert.Single((await Page(alice, $"/api/workspaces/{ws}/audit?type=settings_changed")).Entries);
        Assert.Equal("alice", changed.Str("by"));
        Assert.Equal(("inbox_approval", "false", "true"), (changed.GetProperty("details").Str("setting"), changed.GetProperty("details").Str("from"), changed.GetProperty("details").Str("to")));
        var denied = Assert.Single((await Page(alice, $"/api/workspaces/{ws}/audit?by=mallory")).Entries);
        Assert.Equal("access_denied", denied.Str("type"));
        Assert.Equal($"/api/workspaces/{ws}/audit", denied.GetProperty("details").Str("path"));
        Assert.DoesNotContain("secret", denied.GetProperty("details").ToString());
        // Nothing was recorded as downloaded: the refused request never reached the export.
        Assert.Empty((await Page(alice, $"/api/workspaces/{ws}/audit?type=audit_downloaded")).Entries);
    }

    [Fact]
    public async Task A_member_of_another_workspace_sees_nothing_of_this_audit()
    {
        var ws = InletApp.NewWorkspace("aiso");
        var other = InletApp.NewWorkspace("aiso");
        var alice = await app.SignedIn("alice", ws);
        var bob = await app.SignedIn("bob", other);
        var token = await alice.Issue(ws);
        await bob.Issue(other);
        foreach (var url in new[]
                 {
                     $"/api/workspaces/{ws}/audit", $"/api/workspaces/{ws}/audit?format=csv", $"/api/workspaces/{ws}/audit?format=ndjson",
                     $"/api/workspaces/{ws}/audit/verify", $"/api/workspaces/{ws}/audit?tid={token.Str("tid")}",
                 })
        {
            var response = await bob.GetAsync(url);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.DoesNotContain(token.Str("tid"), await response.Content.ReadAsStringAsync());
        }
        // His own workspace's trail, filtered by alice's token, is empty; unfiltered it has his token only.
        Assert.Empty((await Page(bob, $"/api/workspaces/{other}/audit?tid={token.Str("tid")}")).Entries);
        Assert.Empty((await Page(bob, $"/api/workspaces/{other}/audit?by=alice")).Entries);
        Assert.All(await All(bob, $"/api/workspaces/{other}/audit"), e => Assert.Equal(other, e.Str("wsid")));
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/workspaces/{other}/upload-tokens/{token.Str("tid")}/events")).StatusCode);
    }

    [Fact]
    public async Task The_hash_chain_holds_and_an_entry_changed_directly_in_PostgreSQL_is_detected()
    {
        var ws = InletApp.NewWorkspace("achn");
        var alice = await app.SignedIn("alice", ws);
        for (var i = 0; i < 5; i++)
            await alice.Issue(ws, new { reason = $"token {i}" });
        var entries = await All(alice, $"/api/workspaces/{ws}/audit");
        var verify = await alice.GetJson($"/api/workspaces/{ws}/audit/verify");
        Assert.True(verify.GetProperty("valid").GetBoolean(), verify.ToString());
        Assert.Equal(5, verify.GetProperty("entries").GetInt64());
        Assert.Equal(entries[^1].Str("hash"), verify.GetProperty("head").Str("hash"));
        Assert.Equal(JsonValueKind.Null, verify.GetProperty("first_invalid").ValueKind);
        Assert.Equal(5, entries.Select(e => e.Str("hash")).Distinct().Count());

        var victim = entries[2].GetProperty("seq").GetInt64();
        await using (var connection = new NpgsqlConnection(app.Postgres))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("update audit.entries set by = 'mallory' where seq = $1", connection);
            command.Parameters.AddWithValue(victim);
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }
        verify = await alice.GetJson($"/api/workspaces/{ws}/audit/verify");
        Assert.False(verify.GetProperty("valid").GetBoolean());
        Assert.Equal(victim, verify.GetProperty("first_invalid").GetProperty("seq").GetInt64());

        // Deleting an entry instead is found too (at the entry after the gap).
        var ws2 = InletApp.NewWorkspace("achn");
        var bob = await app.SignedIn("bob", ws2);
        for (var i = 0; i < 3; i++)
            await bob.Issue(ws2);
        var seqs = (await All(bob, $"/api/workspaces/{ws2}/audit")).Select(e => e.GetProperty("seq").GetInt64()).ToList();
        await using (var connection = new NpgsqlConnection(app.Postgres))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("delete from audit.entries where seq = $1", connection);
            command.Parameters.AddWithValue(seqs[1]);
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }
        verify = await bob.GetJson($"/api/workspaces/{ws2}/audit/verify");
        Assert.False(verify.GetProperty("valid").GetBoolean());
        Assert.Equal(seqs[2], verify.GetProperty("first_invalid").GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task Reading_and_exporting_a_table_are_audited_with_who_and_which_table()
    {
        var ws = InletApp.NewWorkspace("atab");
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws, new { reason = "tables", upload_to_database = true });
        await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder(("visits.csv", "id,day\n1,2026-03-01\n2,2026-03-02\n3,2026-03-03,a value too many\n")), 1);
        Assert.Equal(1, (await alice.GetJson($"/api/workspaces/{ws}/tables")).GetArrayLength());
        var loaded = Assert.Single((await Page(alice, $"/api/workspaces/{ws}/audit?type=table_loaded")).Entries);
        Assert.Equal("visits", loaded.Str("table"));

        await alice.GetJson($"/api/workspaces/{ws}/tables/visits/rows?limit=1");
        await alice.GetStringAsync($"/api/workspaces/{ws}/tables/visits/export?format=csv");
        // The rows a load did not take are raw data of the file: reading them is on record too.
        var rejects = await alice.GetJson($"/api/workspaces/{ws}/tables/visits/rejects?limit=5");
        Assert.Equal(4, rejects.GetProperty("rejects").EnumerateArray().Single().GetProperty("line").GetInt64());
        var read = Assert.Single((await Page(alice, $"/api/workspaces/{ws}/audit?type=table_rows_read")).Entries);
        Assert.Equal(("alice", "visits", "1"), (read.Str("by"), read.Str("table"), read.GetProperty("details").Str("limit")));
        var exported = Assert.Single((await Page(alice, $"/api/workspaces/{ws}/audit?type=table_exported")).Entries);
        Assert.Equal(("alice", "visits", "csv"), (exported.Str("by"), exported.Str("table"), exported.GetProperty("details").Str("format")));
        // Everything that touched the table, by its name.
        var history = (await All(alice, $"/api/workspaces/{ws}/audit")).Where(e => e.GetProperty("table").ValueKind == JsonValueKind.String).Select(e => e.Str("type"));
        var rejectsRead = Assert.Single((await Page(alice, $"/api/workspaces/{ws}/audit?type=table_rejects_read")).Entries);
        Assert.Equal(("alice", "visits", "5", "0"),
            (rejectsRead.Str("by"), rejectsRead.Str("table"), rejectsRead.GetProperty("details").Str("limit"), rejectsRead.GetProperty("details").Str("after")));
        Assert.Equal(["table_loaded", "table_rows_read", "table_exported", "table_rejects_read"], history);
    }

    [Fact]
    public async Task The_token_listing_pages_newest_first_and_searches_by_status_and_text()
    {
        var ws = InletApp.NewWorkspace("alist");
        var alice = await app.SignedIn("alice", ws);
        var bob = await app.SignedIn("bob", ws);
        var issued = new List<JsonElement>();
        for (var i = 0; i < 7; i++)
            issued.Add(await (i % 3 == 0 ? bob : alice).Issue(ws, new { reason = i == 4 ? "Quarterly Export" : $"nightly {i}" }));
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"/api/workspaces/{ws}/upload-tokens/{issued[1].Str("tid")}")).StatusCode);

        var unpaged = (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens")).EnumerateArray().Select(t => t.Str("tid")).ToList();
        Assert.Equal(7, unpaged.Count);
        var paged = new List<string>();
        string? after = null;
        do
        {
            var page = await alice.GetJson($"/api/workspaces/{ws}/upload-tokens?limit=3" + (after is null ? "" : $"&after={after}"));
            var tokens = page.GetProperty("tokens").EnumerateArray().ToList();
            Assert.True(tokens.Count <= 3);
            paged.AddRange(tokens.Select(t => t.Str("tid")));
            after = page.GetProperty("next").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next").GetString();
        } while (after is not null);
        Assert.Equal(unpaged, paged);

        var revoked = (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens?status=revoked")).GetProperty("tokens");
        Assert.Equal(issued[1].Str("tid"), Assert.Single(revoked.EnumerateArray()).Str("tid"));
        Assert.Equal(6, (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens?status=active")).GetProperty("tokens").GetArrayLength());
        Assert.Equal(0, (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens?status=expired")).GetProperty("tokens").GetArrayLength());
        Assert.Equal(3, (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens?q=BOB")).GetProperty("tokens").GetArrayLength());
        var quarterly = (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens?q=quarterly")).GetProperty("tokens");
        Assert.Equal(issued[4].Str("tid"), Assert.Single(quarterly.EnumerateArray()).Str("tid"));
        Assert.Equal(1, (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens?q={issued[5].Str("tid")}")).GetProperty("tokens").GetArrayLength());
        Assert.Equal(50, ListLimitDefault());
        foreach (var (query, field) in new[] { ("status=gone", "status"), ("limit=0", "limit"), ("limit=1001", "limit"), ("after=x", "after"), ($"after={Guid.NewGuid()}", "after"), ("sort=date", "sort") })
        {
            var response = await alice.GetAsync($"/api/workspaces/{ws}/upload-tokens?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(field, out _), query);
        }
    }

    private static int ListLimitDefault() => Inlet.Tokens.ListUploadTokens.ListUploadTokensEndpoints.DefaultPageSize;

    [Fact]
    public async Task Rebuilding_the_projection_from_the_event_store_gives_the_same_rows()
    {
        var ws = InletApp.NewWorkspace("areb");
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws);
        await alice.Issue(ws, new { reason = "second" });
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"/api/workspaces/{ws}/upload-tokens/{token.Str("tid")}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await alice.PutAsJsonAsync($"/api/workspaces/{ws}/settings", new { inbox_approval = true })).StatusCode);
        await alice.GetStringAsync($"/api/workspaces/{ws}/audit?format=csv");

        // This workspace's rows only: other tests' background work (routing, loads) may append to theirs meanwhile.
        var rows = $"select wsid, event, stream, pos, at, type, tid, upload, tbl, by, details::text, hash from audit.entries where wsid = '{ws}' order by pos";
        var before = await Rows(rows);
        Assert.Equal(["issued", "issued", "revoked", "settings_changed", "audit_downloaded"], before.Select(r => (string)r[5]));
        var store = app.Host.Services.GetRequiredService<IDocumentStore>();
        using var daemon = await store.BuildProjectionDaemonAsync();
        await daemon.RebuildProjectionAsync(AuditTrailProjection.Name, 2.Minutes(), CancellationToken.None);
        var after = await Rows(rows);
        var extra = after.Select(r => string.Join("|", r)).Except(before.Select(r => string.Join("|", r))).ToList();
        var missing = before.Select(r => string.Join("|", r)).Except(after.Select(r => string.Join("|", r))).ToList();
        Assert.True(extra.Count == 0 && missing.Count == 0, $"extra: {string.Join("; ", extra)} missing: {string.Join("; ", missing)}");
        Assert.Equal(before.Select(r => string.Join("|", r)), after.Select(r => string.Join("|", r)));
        Assert.True((await alice.GetJson($"/api/workspaces/{ws}/audit/verify")).GetProperty("valid").GetBoolean());
    }

    private async Task<List<object[]>> Rows(string sql)
    {
        await using var connection = new NpgsqlConnection(app.Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var result = new List<object[]>();
        while (await reader.ReadAsync())
        {
            var row = new object[reader.FieldCount];
            reader.GetValues(row);
            result.Add(row);
        }
        return result;
    }
}

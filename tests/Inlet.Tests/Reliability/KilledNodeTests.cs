using Azure;
using Azure.Storage.Blobs;
using System.Security.Cryptography;
using Npgsql;
using Xunit.Abstractions;

namespace Inlet.Tests.Reliability;

/// <summary>
/// Two real Host processes on one database, as two nodes behind a load balancer; one is SIGKILLed while it
/// has work in hand, and the survivor must finish all of it, each item once (issue #9, docs/adr/0016).
/// The node killed is the one with most to hand over: mid-ingestion, the one running Wolverine's durability
/// agent (it recovers orphaned messages, so the survivor must take that role over first); mid-expiry, the
/// one that has just taken the due expiries.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class KilledNodeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_node_killed_mid_ingestion_leaves_the_survivor_to_route_load_and_count_every_file_once()
    {
        var postgres = await TestServices.CreateDatabase("inlet_nodes");
        await using var first = new HostProcess(postgres);
        await first.Start();
        var firstNode = Assert.Single(await WolverineCluster.Nodes(postgres));
        await using var second = new HostProcess(postgres);
        await second.Start();
        var (doomed, survivor, doomedNode) = await WolverineCluster.Doomed(postgres, first, firstNode, second);
        var ws = InletApp.NewWorkspace("nodes");
        await doomed.SignIn("alice", ws);
        await survivor.SignIn("alice", ws);
        var inboxToken = await doomed.Client.Issue(ws);
        var databaseToken = await doomed.Client.Issue(ws, new { reason = "tables", upload_to_database = true });

        const int fileCount = 400, tableCount = 20, rowsPerTable = 2000;
        var files = Directory.CreateTempSubdirectory("nodes-files-");
        var md5s = new Dictionary<string, string>();
        for (var i = 0; i < fileCount; i++)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes($"file {i} " + new string((char)('a' + i % 26), i * 37 % 5000));
            await File.WriteAllBytesAsync(Path.Combine(files.FullName, $"f{i:D3}.txt"), bytes);
            md5s[$"inbox/f{i:D3}.txt"] = Convert.ToBase64String(MD5.HashData(bytes));
        }
        var tables = Directory.CreateTempSubdirectory("nodes-tables-");
        for (var i = 0; i < tableCount; i++)
            await File.WriteAllTextAsync(Path.Combine(tables.FullName, $"t{i:D2}.csv"),
                "id,value\n" + string.Concat(Enumerable.Range(1, rowsPerTable).Select(r => $"{r},{r * i}\n")));

        // Real AzCopy uploads, still running when the node dies.
        var uploading = Task.WhenAll(AzCopy.Copy(files.FullName + "/*", inboxToken.Str("token")), AzCopy.Copy(tables.FullName + "/*", databaseToken.Str("token")));
        var routedAtKill = 0;
        await TokenApi.Eventually(async () =>
        {
            routedAtKill = (await survivor.Client.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().Count(u => u.Str("status") == "routed");
            return routedAtKill >= 40;
        }, 60, "routing has started on both nodes");
        await doomed.Kill();
        var inHand = await WolverineCluster.UnhandledEnvelopesOf(postgres, doomedNode);
        var pending = (await survivor.Client.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().Count(u => u.Str("status") == "pending");
        output.WriteLine($"killed the node running the durability agent with {routedAtKill} of {fileCount + tableCount} files routed, " +
            $"{pending} decided but not routed, and these messages in its hands: {string.Join(", ", inHand.CountBy(m => m).Select(c => $"{c.Value} {c.Key}"))}");
        Assert.True(routedAtKill < fileCount + tableCount, "the kill came too late to interrupt anything");
        Assert.True(inHand.Count + pending > 0, "the killed node had no work in hand");

        Assert.All(await uploading, r => Assert.True(r.Succeeded, r.Output));
        var client = survivor.Client;
        List<JsonElement> records = [];
        await TokenApi.Eventually(async () =>
        {
            records = (await client.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToList();
            return records.Count(u => u.Str("status") == "routed") >= fileCount + tableCount;
        }, 120, $"{fileCount + tableCount} files routed by the survivor (saw {records.Count(u => u.Str("status") == "routed")})");
        var catalogue = new List<JsonElement>();
        await TokenApi.Eventually(async () =>
        {
            catalogue = (await client.GetJson($"/api/workspaces/{ws}/tables")).EnumerateArray().ToList();
            return catalogue.Count >= tableCount;
        }, 60, $"{tableCount} tables loaded (their loads were scheduled on the dead node)");
        foreach (var (token, count) in new[] { (inboxToken, fileCount), (databaseToken, tableCount) })
            await TokenApi.Eventually(async () =>
                (await client.GetJson($"/api/workspaces/{ws}/upload-tokens/{token.Str("tid")}")).GetProperty("files_received").GetInt64() >= count,
                60, $"the token counts its {count} files");
        await Task.Delay(3000); // anything still in flight on the survivor lands before counting

        records = (await client.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToList();
        Assert.Equal(fileCount + tableCount, records.Count);
        Assert.All(records, r => Assert.Equal("routed", r.Str("status")));
        var inbox = (await client.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().ToList();
        Assert.Equal(md5s.Keys.Order(), inbox.Select(f => f.Str("path")).Order()); // each once, none renamed " (2)"
        Assert.All(inbox, f => Assert.Equal(md5s[f.Str("path")], f.Str("md5")));
        foreach (var path in md5s.Keys.Where((_, i) => i % 25 == 0))
        {
            await using var content = await client.GetStreamAsync($"/api/workspaces/{ws}/files/content?path={Uri.EscapeDataString(path)}");
            Assert.Equal(md5s[path], Convert.ToBase64String(await MD5.HashDataAsync(content)));
        }

        catalogue = (await client.GetJson($"/api/workspaces/{ws}/tables")).EnumerateArray().ToList();
        Assert.Equal(tableCount, catalogue.Count);
        Assert.All(catalogue, t => Assert.Equal(rowsPerTable, t.GetProperty("rows").GetInt64()));
        foreach (var (token, count) in new[] { (inboxToken, fileCount), (databaseToken, tableCount) })
        {
            var tid = token.Str("tid");
            Assert.Equal(count, (await client.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}")).GetProperty("files_received").GetInt64());
            var used = (await client.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}/events")).EnumerateArray().Where(e => e.Str("type") == "used");
            Assert.Equal(count, used.Sum(e => e.GetProperty("details").GetProperty("files").GetInt64()));
        }
    }

    [Fact]
    public async Task A_node_killed_while_expiries_fire_leaves_the_survivor_to_expire_every_token_once()
    {
        var postgres = await TestServices.CreateDatabase("inlet_nodes");
        var sweepGrace = new Dictionary<string, string> { ["Ingestion__FinalSweepGrace"] = "00:00:10" };
        await using var first = new HostProcess(postgres, sweepGrace);
        await first.Start();
        var firstNode = Assert.Single(await WolverineCluster.Nodes(postgres));
        await using var second = new HostProcess(postgres, sweepGrace);
        var ws = InletApp.NewWorkspace("expiry");

        // Tokens issued "a day ago" with valid_days = 1 expire now: an in-process node whose clock is set a day
        // back issues them through the API, so valid_to, the stored access policy and the durable scheduled
        // ExpireUploadToken are exactly what a day-old token has. It leaves before anything fires. A first
        // wave shares one valid_to, so that one node takes all of it at once and is killed with it in hand;
        // a second wave falls due after the kill.
        const int firstWave = 60, secondWave = 10;
        var issued = new List<(string Tid, string Sas, DateTimeOffset ValidTo)>();
        var issuerStarting = InletApp.OnDatabase(postgres);
        await Task.WhenAll(issuerStarting, second.Start());
        DateTimeOffset due;
        await using (var issuer = await issuerStarting)
        {
            var alice = await issuer.SignedIn("alice", ws);
            // A refused request first: it compiles the endpoint, which on a busy machine takes seconds.
            Assert.Equal(HttpStatusCode.BadRequest, (await alice.PostAsJsonAsync($"/api/workspaces/{ws}/upload-tokens", new { reason = "warm-up", valid_days = 0 })).StatusCode);
            due = DateTimeOffset.UtcNow.AddSeconds(25);
            for (var i = 0; i < firstWave + secondWave; i++)
            {
                var validTo = i < firstWave ? due : due.AddSeconds(10);
                issuer.Clock.Advance(validTo.AddDays(-1) - issuer.Clock.GetUtcNow());
                var token = await alice.Issue(ws, new { reason = $"one day {i}", valid_days = 1 });
                issued.Add((token.Str("tid"), token.Str("token"), token.GetProperty("valid_to").GetDateTimeOffset()));
            }
        }
        output.WriteLine($"{issued.Count} tokens issued; the first wave is due in {issued.Min(t => t.ValidTo) - DateTimeOffset.UtcNow:g}");
        Assert.True(issued.Min(t => t.ValidTo) > DateTimeOffset.UtcNow.AddSeconds(2), "the tokens fell due before both nodes were up");
        foreach (var (tid, _, _) in issued)
            Assert.NotNull(await ScheduledExpiries.For(postgres, Guid.Parse(tid)));
        var nodes = await WolverineCluster.Nodes(postgres);
        Assert.Equal(2, nodes.Count);

        // Kill the node that took the first wave (every node polls for due scheduled messages; one wins the
        // lock and takes them all) while the expiries are still in its hands.
        int? firing = null;
        await TokenApi.Eventually(async () =>
        {
            firing = await WolverineCluster.NodeFiringExpiries(postgres);
            return firing is not null;
        }, 60, "a node took the due expiries", pollMilliseconds: 20);
        var firstNumber = await WolverineCluster.NodeNumber(postgres, firstNode);
        var (doomed, survivor) = firing == firstNumber ? (first, second) : (second, first);
        await doomed.Kill();
        var killedAt = DateTimeOffset.UtcNow;
        var orphaned = await WolverineCluster.ExpiriesInHandsOf(postgres, firing!.Value);
        output.WriteLine($"killed the {(doomed == first ? "first" : "second")} node with {orphaned} of its {firstWave} due expiries unhandled");
        Assert.True(orphaned > 0, "the kill came too late to interrupt anything");

        await survivor.SignIn("alice", ws);
        var client = survivor.Client;
        // (The listing says "expired" from valid_to on by itself; what counts is the expiry handled.)
        await TokenApi.Eventually(async () => (await WolverineCluster.PendingExpiries(postgres)).Count == 0, 75,
            "the survivor took over the dead node's expiries and handled them and the second wave");
        output.WriteLine($"the last expiry was handled {DateTimeOffset.UtcNow - killedAt:g} after the kill");
        Assert.All((await client.GetJson($"/api/workspaces/{ws}/upload-tokens")).EnumerateArray(), t => Assert.Equal("expired", t.Str("status")));

        var account = new BlobServiceClient(TestServices.Landing); // the tokens' containers
        var refused = 0;
        foreach (var (tid, sas, validTo) in issued)
        {
            var events = (await client.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}/events")).EnumerateArray().ToList();
            var expiries = events.Where(e => e.Str("type") == "expired").ToList();
            Assert.True(expiries.Count == 1, $"token {tid} has {expiries.Count} expired events");
            Assert.DoesNotContain(events, e => e.Str("type") == "revoked");
            Assert.True(expiries[0].GetProperty("at").GetDateTimeOffset() >= validTo, $"token {tid} expired before its valid_to");
            // The stored access policy was withdrawn, unless the final sweep has already removed the container.
            var container = account.GetBlobContainerClient($"upload-{Guid.Parse(tid):N}");
            try
            {
                Assert.Empty((await container.GetAccessPolicyAsync()).Value.SignedIdentifiers);
                Assert.Equal(403, await StorageProbe.TryUpload(sas));
                refused++;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
            }
        }
        output.WriteLine($"{refused} containers still there: policy withdrawn and the SAS refused");
        Assert.True(refused >= firstWave / 2, "most containers were swept before their withdrawal could be checked");

        // UploadTokenClosed reached ingestion: the survivor's poller sweeps every closed container and deletes it.
        await TokenApi.Eventually(async () =>
        {
            foreach (var (tid, _, _) in issued)
                if (await account.GetBlobContainerClient($"upload-{Guid.Parse(tid):N}").ExistsAsync())
                    return false;
            return true;
        }, 60, "every expired token's container swept and deleted");
        Assert.Empty(await WolverineCluster.PendingExpiries(postgres));
    }

}

/// <summary>What Wolverine's own tables say about the nodes of one database.</summary>
internal static class WolverineCluster
{
    private static async Task<List<T>> Query<T>(string postgres, string sql, Action<NpgsqlParameterCollection>? parameters = null)
    {
        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        parameters?.Invoke(command.Parameters);
        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            rows.Add(reader.GetFieldValue<T>(0));
        return rows;
    }

    /// <summary>
    /// Of two Host processes alone in the cluster, the one running the durability agent (the leader places it,
    /// and it may move while nodes join or leave, so this waits until it has settled on one of the two).
    /// </summary>
    public static async Task<(HostProcess Doomed, HostProcess Survivor, Guid DoomedNode)> Doomed(string postgres, HostProcess first, Guid firstNode, HostProcess second)
    {
        Guid? holder = null;
        await TokenApi.Eventually(async () =>
        {
            var nodes = await Nodes(postgres);
            holder = await HolderOfScheduledMessages(postgres);
            return nodes.Count == 2 && holder is { } h && nodes.Contains(h);
        }, 30, "two Host processes in the cluster, one running the durability agent");
        return holder == firstNode ? (first, second, firstNode) : (second, first, holder!.Value);
    }

    public static Task<List<Guid>> Nodes(string postgres) => Query<Guid>(postgres, "select id from wolverine_nodes");

    /// <summary>The node running the durability agent, which fires scheduled messages and recovers orphaned ones.</summary>
    public static async Task<Guid?> HolderOfScheduledMessages(string postgres) =>
        (await Query<Guid>(postgres, "select node_id from wolverine_node_assignments where id like 'wolverinedb://%'")).Cast<Guid?>().SingleOrDefault();

    /// <summary>The type of every message a node has taken and not yet handled.</summary>
    public static Task<List<string>> UnhandledEnvelopesOf(string postgres, Guid node) =>
        Query<string>(postgres, "select regexp_replace(i.message_type, '^.*[.+]', '') from wolverine_incoming_envelopes i join wolverine_nodes n on i.owner_id = n.node_number " +
            "where n.id = @node and i.status <> 'Handled'", p => p.AddWithValue("node", node));

    public static async Task<int> NodeNumber(string postgres, Guid node) =>
        (await Query<int>(postgres, "select node_number from wolverine_nodes where id = @node", p => p.AddWithValue("node", node))).Single();

    private const string ExpiriesInHand =
        "from wolverine_incoming_envelopes where message_type like '%ExpireUploadToken%' and status = 'Incoming' and owner_id in (select node_number from wolverine_nodes)";

    /// <summary>The number of a live node that has taken due expiries and not yet handled them all, if any.</summary>
    public static async Task<int?> NodeFiringExpiries(string postgres) =>
        (await Query<int>(postgres, "select owner_id " + ExpiriesInHand + " limit 1")).Cast<int?>().SingleOrDefault();

    public static async Task<long> ExpiriesInHandsOf(string postgres, int nodeNumber) =>
        (await Query<long>(postgres, "select count(*) " + ExpiriesInHand + " and owner_id = @owner", p => p.AddWithValue("owner", nodeNumber))).Single();

    /// <summary>ExpireUploadToken envelopes not yet handled, whatever their status.</summary>
    public static Task<List<string>> PendingExpiries(string postgres) =>
        Query<string>(postgres, "select status from wolverine_incoming_envelopes where message_type like '%ExpireUploadToken%' and status <> 'Handled'");
}

using System.Text;
using Microsoft.AspNetCore.Hosting;

namespace Inlet.Tests.Scanning;

/// <summary>A Host whose clamd is behind a <see cref="ClamdProxy"/> this fixture can take down; scans are retried after a second.</summary>
public sealed class ProxiedScannerApp : InletApp
{
    public ClamdProxy Proxy { get; } = new();

    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Scanning:Endpoint", Proxy.Endpoint);
        builder.UseSetting("Scanning:RetryInterval", "00:00:01");
        builder.UseSetting("Scanning:Timeout", "00:00:10");
    }
}

/// <summary>
/// clamd dies in the middle of a load's scan (docs/adr/0037): the load rolls back and waits — no table, the upload
/// <c>pending</c> and <c>scanning</c>, its staged copy neither listed nor downloadable — and once clamd is back the same
/// load runs again, is scanned, and commits once. Passes on main too (there the cut hits routing's scan before staging,
/// with the same promise): it is the invariant, now kept by the load's own read.
/// </summary>
public sealed class ScannerDownLoadTests(ProxiedScannerApp app) : IClassFixture<ProxiedScannerApp>, IDisposable
{
    [Fact]
    public async Task A_scanner_that_dies_mid_load_makes_the_load_wait_unscanned_nothing_commits_then_it_loads_once()
    {
        var ws = InletApp.NewWorkspace("lsdown");
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws, new { reason = "scanner outage mid-load", upload_to_database = true });
        var csv = new StringBuilder("id,note\n");
        var rows = 0;
        for (; csv.Length < 8_000_000; rows++)
            csv.Append(rows).Append(",a row of text that takes some room ").Append(rows).Append('\n');

        app.Proxy.CutAfter(2_000_000);
        Assert.True((await AzCopy.Copy(LocalFiles.Folder(("big.csv", csv.ToString())).FullName + "/*", token.Str("token"))).Succeeded);
        await app.Proxy.Cut.WaitAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(4)); // several retries, each with clamd away

        var upload = (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().Single();
        Assert.Equal(("pending", "scanning"), (upload.Str("status"), upload.Str("scan")));
        Assert.Empty((await alice.GetJson($"/api/workspaces/{ws}/tables")).EnumerateArray());
        Assert.Empty((await alice.GetJson($"/api/workspaces/{ws}/files")).EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound,
            (await alice.GetAsync($"/api/workspaces/{ws}/files/content?path={Uri.EscapeDataString(upload.Str("location"))}")).StatusCode);
        Assert.StartsWith(".database/", upload.Str("location"));

        app.Proxy.Up();
        var settled = (await MalwareScanningTests.Settled(alice, ws, 1, 90)).Single();
        Assert.Equal(("routed", "clean", "table:big"), (settled.Str("status"), settled.Str("scan"), settled.Str("location")));
        Assert.Equal(rows, settled.GetProperty("rows_loaded").GetInt64());
        var table = (await alice.GetJson($"/api/workspaces/{ws}/tables")).EnumerateArray().Single();
        Assert.Equal(rows, table.GetProperty("rows").GetInt64());
        var routed = (await alice.GetJson($"/api/workspaces/{ws}/audit?type=upload_routed")).GetProperty("entries").EnumerateArray().ToList();
        Assert.Single(routed); // loaded once, after all the rolled-back attempts
    }

    public void Dispose() => app.Proxy.Up();
}

using System.Text;

namespace Inlet.Tests.Tabular;

/// <summary>A long load shows on its upload record how far it has come, and the report goes once the load ends.</summary>
public sealed class LoadProgressTests(InletApp app) : IClassFixture<InletApp>
{
    [Fact]
    public async Task A_running_load_reports_its_phase_bytes_and_rows_on_the_upload_record_until_it_ends()
    {
        var ws = InletApp.NewWorkspace("progress");
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws, new { reason = "a long load", upload_to_database = true });
        var root = Directory.CreateTempSubdirectory("progress-");
        const int rows = 600_000;
        var csv = new StringBuilder("id,site,measured,comment\n");
        for (var i = 1; i <= rows; i++)
            csv.Append(i).Append(',').Append(i % 17).Append(',').Append(i * 0.25).Append(",\"row ").Append(i).Append(", with a comma\"\n");
        var bytes = Encoding.UTF8.GetBytes(csv.ToString());
        await File.WriteAllBytesAsync(Path.Combine(root.FullName, "long.csv"), bytes);
        var result = await AzCopy.Copy(root.FullName + "/*", token.Str("token"));
        Assert.True(result.Succeeded, result.Output);

        var seen = new List<JsonElement>();
        JsonElement upload = default;
        await TokenApi.Eventually(async () =>
        {
            var uploads = (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToList();
            if (uploads.Count == 0)
                return false; // not detected yet
            upload = Assert.Single(uploads);
            if (upload.Str("status") == "pending" && upload.TryGetProperty("progress", out var progress) && progress.ValueKind == JsonValueKind.Object)
                seen.Add(progress.Clone());
            return upload.Str("status") != "pending";
        }, 120, "the load ended", pollMilliseconds: 50);

        Assert.Equal("routed", upload.Str("status"));
        Assert.Equal(rows, upload.GetProperty("rows_loaded").GetInt64());
        Assert.True(upload.GetProperty("progress").ValueKind == JsonValueKind.Null, "progress is shown only while the load runs");
        Assert.NotEmpty(seen);
        Assert.All(seen, p =>
        {
            Assert.Contains(p.Str("phase"), new[] { "reading", "loading" });
            Assert.Equal(bytes.Length, p.GetProperty("bytes_total").GetInt64());
            Assert.InRange(p.GetProperty("bytes_done").GetInt64(), 0, bytes.Length);
            Assert.InRange(p.GetProperty("rows_loaded").GetInt64(), 0, rows);
        });
        Assert.Contains(seen, p => p.GetProperty("bytes_done").GetInt64() > 0);
    }
}

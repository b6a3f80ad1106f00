using System.Security.Cryptography;
using System.Text;
using Azure.Storage.Blobs;

namespace Inlet.Tests.Ingestion;

/// <summary>Timed against the 5 s listing promise, so it runs alone, not beside other heavy tests.</summary>
[Collection(nameof(RunsAlone))]
public sealed class IngestionTests(InletApp app, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<InletApp>
{
    private static async Task<Dictionary<string, string>> MakeTree(DirectoryInfo root, int smallFiles, long bigFileBytes)
    {
        var md5s = new Dictionary<string, string>();
        var random = new Random(42);
        void Write(string relative, byte[] bytes)
        {
            var path = Path.Combine(root.FullName, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
            md5s[relative.Replace('\\', '/')] = Convert.ToBase64String(MD5.HashData(bytes));
        }
        for (var i = 0; i < smallFiles; i++)
        {
            var bytes = new byte[random.Next(1, 20_000)];
            random.NextBytes(bytes);
            Write(Path.Combine($"site-{i % 4}", $"batch-{i % 7}", $"file-{i}.csv"), bytes);
        }
        Write("empty.txt", []);
        Write(Path.Combine("données", "résumé-日本.txt"), Encoding.UTF8.GetBytes("unicode"));
        if (bigFileBytes > 0)
        {
            var path = Path.Combine(root.FullName, "big.bin");
            await using (var file = File.Create(path))
            {
                var chunk = new byte[4 * 1024 * 1024];
                for (long written = 0; written < bigFileBytes; written += chunk.Length)
                {
                    random.NextBytes(chunk);
                    await file.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, bigFileBytes - written)));
                }
            }
            await using var read = File.OpenRead(path);
            md5s["big.bin"] = Convert.ToBase64String(await MD5.HashDataAsync(read));
        }
        return md5s;
    }

    private static async Task<List<JsonElement>> WaitForFiles(HttpClient client, string url, int count, int seconds)
    {
        var files = new List<JsonElement>();
        await TokenApi.Eventually(async () =>
        {
            files = (await client.GetJson(url)).EnumerateArray().ToList();
            return files.Count >= count;
        }, seconds, $"{count} files listed at {url} (saw {files.Count})");
        return files;
    }

    private static async Task AssertSameBytes(HttpClient client, string ws, IReadOnlyList<JsonElement> files, string prefix, Dictionary<string, string> md5s)
    {
        Assert.Equal(md5s.Keys.Select(k => prefix + k).Order(), files.Select(f => f.Str("path")).Order());
        foreach (var file in files)
        {
            var relative = file.Str("path")[prefix.Length..];
            Assert.Equal(md5s[relative], file.Str("md5"));
            await using var content = await client.GetStreamAsync($"/api/workspaces/{ws}/files/content?path={Uri.EscapeDataString(file.Str("path"))}");
            Assert.Equal(md5s[relative], Convert.ToBase64String(await MD5.HashDataAsync(content)));
        }
    }

    [Fact]
    public async Task An_inbox_token_upload_of_a_large_tree_lands_every_file_in_the_inbox_with_the_same_bytes()
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var issued = await alice.Issue(ws);
        var root = Directory.CreateTempSubdirectory("tree-");
        var md5s = await MakeTree(root, 220, 110L * 1024 * 1024);

        var result = await AzCopy.Copy(root.FullName + "/*", issued.Str("token"));
        Assert.True(result.Succeeded, result.Output);
        var finished = DateTime.UtcNow;

        var files = await WaitForFiles(alice, $"/api/workspaces/{ws}/inbox", md5s.Count, 60); // correctness, not speed: how soon is measured by the bench (ingest), not here
        output.WriteLine($"every file listed {(DateTime.UtcNow - finished).TotalMilliseconds:F0} ms after AzCopy finished");
        await AssertSameBytes(alice, ws, files, "inbox/", md5s);

        var uploads = await alice.GetJson($"/api/workspaces/{ws}/uploads");
        Assert.Equal(md5s.Count, uploads.GetArrayLength());
        Assert.All(uploads.EnumerateArray(), u => Assert.Equal("routed", u.Str("status")));
        await TokenApi.Eventually(async () =>
            (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{issued.Str("tid")}")).GetProperty("files_received").GetInt64() == md5s.Count,
            20, "the token counts every file it delivered");
        var token = await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{issued.Str("tid")}");
        Assert.True(token.GetProperty("bytes_received").GetInt64() >= 110L * 1024 * 1024);
    }

    [Fact]
    public async Task A_folder_token_lands_files_in_its_folder_keeping_relative_paths()
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var issued = await alice.Issue(ws, new { reason = "to a folder", folder = "projects/site-a" });
        var root = Directory.CreateTempSubdirectory("tree-");
        var md5s = await MakeTree(root, 30, 0);

        var result = await AzCopy.Copy(root.FullName + "/*", issued.Str("token"));
        Assert.True(result.Succeeded, result.Output);

        var files = await WaitForFiles(alice, $"/api/workspaces/{ws}/files?folder=projects/site-a", md5s.Count, 30);
        await AssertSameBytes(alice, ws, files, "projects/site-a/", md5s);
        Assert.Equal(0, (await alice.GetJson($"/api/workspaces/{ws}/inbox")).GetArrayLength());
        var uploads = await alice.GetJson($"/api/workspaces/{ws}/uploads");
        Assert.All(uploads.EnumerateArray(), u => Assert.Equal("folder", u.Str("routed_to")));
    }

    [Fact]
    public async Task Name_clashes_and_re_uploads_get_new_unique_names_and_nothing_is_overwritten()
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var first = await alice.Issue(ws);
        var second = await alice.Issue(ws);
        var file = Path.Combine(Directory.CreateTempSubdirectory().FullName, "report.csv");

        await File.WriteAllTextAsync(file, "version 1");
        Assert.True((await AzCopy.Copy(file, first.Str("token"))).Succeeded);
        await WaitForFiles(alice, $"/api/workspaces/{ws}/inbox", 1, 20);
        await File.WriteAllTextAsync(file, "version 2");
        Assert.True((await AzCopy.Copy(file, first.Str("token"))).Succeeded);
        await WaitForFiles(alice, $"/api/workspaces/{ws}/inbox", 2, 20);
        await File.WriteAllTextAsync(file, "version 3");
        Assert.True((await AzCopy.Copy(file, second.Str("token"))).Succeeded);
        var files = await WaitForFiles(alice, $"/api/workspaces/{ws}/inbox", 3, 20);

        Assert.Equal(["inbox/report (2).csv", "inbox/report (3).csv", "inbox/report.csv"], files.Select(f => f.Str("path")).Order());
        var contents = new List<string>();
        foreach (var f in files)
            contents.Add(await alice.GetStringAsync($"/api/workspaces/{ws}/files/content?path={Uri.EscapeDataString(f.Str("path"))}"));
        Assert.Equal(["version 1", "version 2", "version 3"], contents.Order());
        Assert.Equal("version 1", await alice.GetStringAsync($"/api/workspaces/{ws}/files/content?path=inbox/report.csv"));
    }

    [Fact]
    public async Task Unsafe_names_are_rejected_with_a_reason_and_kept()
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var issued = await alice.Issue(ws);
        var withSas = new BlobContainerClient(new Uri(issued.Str("token")));
        await app.Host.Until(UploadsDecided.Of(issued, 3), async () =>
        {
            await withSas.GetBlobClient("   /only-spaces.txt").UploadAsync(BinaryData.FromString("a folder named by spaces"));
            await withSas.GetBlobClient(new string('x', 300) + ".txt").UploadAsync(BinaryData.FromString("over-long segment"));
            await withSas.GetBlobClient("fine.txt").UploadAsync(BinaryData.FromString("fine"));
        });
        var uploads = (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToList();
        Assert.Equal(3, uploads.Count);
        Assert.All(uploads, u => Assert.NotEqual("pending", u.Str("status")));
        var rejected = uploads.Where(u => u.Str("status") == "rejected").ToList();
        Assert.Equal(2, rejected.Count);
        Assert.All(rejected, r => Assert.Contains("Unsafe file name", r.Str("error")));
        Assert.Equal(["inbox/fine.txt"], (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("path")));
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.GetAsync($"/api/workspaces/{ws}/files/content?path=../x")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync($"/api/workspaces/{ws}/files/content?path=inbox/nothing.txt")).StatusCode);
    }

    [Fact]
    public async Task After_revocation_what_arrived_is_still_routed_then_the_token_container_is_deleted()
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var issued = await alice.Issue(ws);
        var withSas = new BlobContainerClient(new Uri(issued.Str("token")));
        await withSas.GetBlobClient("late.txt").UploadAsync(BinaryData.FromString("arrived before the cut-off"));
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"/api/workspaces/{ws}/upload-tokens/{issued.Str("tid")}")).StatusCode);

        await WaitForFiles(alice, $"/api/workspaces/{ws}/inbox", 1, 20);
        var admin = new BlobServiceClient(TestServices.Landing).GetBlobContainerClient(issued.Str("inboxid"));
        await TokenApi.Eventually(async () => !(await admin.ExistsAsync()).Value, 30, "the token container is deleted after the final sweep");
    }

    [Fact]
    public async Task The_Event_Grid_endpoint_answers_the_handshake_and_routes_a_BlobCreated_event()
    {
        var client = app.Host.Server.CreateClient();
        var handshake = await client.PostAsJsonAsync($"/api/ingestion/eventgrid?key={InletApp.EventGridKey}", new[]
        {
            new { id = "1", eventType = "Microsoft.EventGrid.SubscriptionValidationEvent", subject = "", data = new { validationCode = "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" } },
        });
        Assert.Equal("512d38b6-c7b8-40c8-89fe-f46f9e9622b6", (await handshake.Content.ReadFromJsonAsync<JsonElement>()).Str("validationResponse"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/ingestion/eventgrid?key=wrong", Array.Empty<object>())).StatusCode);

        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var issued = await alice.Issue(ws);
        var withSas = new BlobContainerClient(new Uri(issued.Str("token")));
        await withSas.GetBlobClient("pushed.txt").UploadAsync(BinaryData.FromString("pushed"));
        var created = await client.PostAsJsonAsync($"/api/ingestion/eventgrid?key={InletApp.EventGridKey}", new[]
        {
            new { id = "2", eventType = "Microsoft.Storage.BlobCreated", subject = $"/blobServices/default/containers/{issued.Str("inboxid")}/blobs/pushed.txt", data = new { api = "PutBlob" } },
        });
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        await WaitForFiles(alice, $"/api/workspaces/{ws}/inbox", 1, 10);
    }
}

public sealed class TwoNodeIngestionTests(InletApp app) : IClassFixture<InletApp>
{
    [Fact]
    public async Task Two_hosts_on_the_same_database_and_storage_route_each_file_exactly_once()
    {
        await using var second = await app.StartHost();
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var issued = await alice.Issue(ws);
        var root = Directory.CreateTempSubdirectory("tree-");
        for (var i = 0; i < 150; i++)
            await File.WriteAllTextAsync(Path.Combine(root.FullName, $"f{i:D3}.txt"), $"file {i}");

        Assert.True((await AzCopy.Copy(root.FullName + "/*", issued.Str("token"))).Succeeded);
        List<JsonElement> uploads = [];
        await TokenApi.Eventually(async () =>
        {
            uploads = (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToList();
            return uploads.Count(u => u.Str("status") == "routed") >= 150;
        }, 60, "150 files routed");
        await Task.Delay(3000); // let both nodes finish any in-flight work before counting
        uploads = (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToList();
        Assert.Equal(150, uploads.Count);
        var inbox = (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("path")).ToList();
        Assert.Equal(150, inbox.Distinct().Count());
        Assert.DoesNotContain(inbox, p => p.Contains(" (2)"));
        await TokenApi.Eventually(async () =>
            (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{issued.Str("tid")}")).GetProperty("files_received").GetInt64() == 150,
            20, "usage counted once per file");
    }
}

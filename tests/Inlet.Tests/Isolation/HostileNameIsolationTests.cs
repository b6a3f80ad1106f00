using System.Net.Http.Headers;
using System.Text;
using Azure.Storage.Blobs;
using Inlet.Ingestion.WorkspaceFiles;
using Inlet.Tests.Ingestion;
using Microsoft.AspNetCore.Hosting;

namespace Inlet.Tests.Isolation;

/// <summary>
/// Issue #32 item 3, as an attacker holding an upload token sends it: blob names that storage accepts but that stopped a
/// token's ingestion, stayed pending for ever, or looked like another file. Each upload is a raw Put Blob with the token's
/// SAS (the path sent exactly as written, never canonicalised by a client), so these are the very requests storage takes.
/// </summary>
public sealed class HostileNameIsolationTests(InletApp app) : IClassFixture<InletApp>
{
    private static readonly UriCreationOptions Literal = new() { DangerousDisablePathAndQueryCanonicalization = true };
    private static readonly HttpClient Storage = new();

    /// <summary>Put Blob of <paramref name="path"/> (already percent-encoded, sent as written) with the token's SAS.</summary>
    private static async Task PutBlob(JsonElement token, string path, string content)
    {
        var sas = new Uri(token.Str("token"));
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri($"{sas.GetLeftPart(UriPartial.Path)}/{path}{sas.Query}", Literal))
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(content)),
        };
        request.Headers.Add("x-ms-blob-type", "BlockBlob");
        using var response = await Storage.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"storage took {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static string Encode(string name) => string.Join('/', name.Split('/').Select(Uri.EscapeDataString));

    private async Task<List<JsonElement>> Uploads(HttpClient client, string ws) =>
        (await client.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToList();

    private static async Task<string> Quarantined(string ws, JsonElement upload)
    {
        var location = upload.Str("location");
        Assert.StartsWith(".quarantine/", location);
        var blob = new BlobServiceClient(TestServices.Storage).GetBlobContainerClient(WorkspaceStorage.ContainerFor(ws)).GetBlobClient(location);
        return (await blob.DownloadContentAsync()).Value.Content.ToString();
    }

    [Theory]
    [InlineData("ctl\u0001x.txt", "U+0001")]
    [InlineData("nul\u0000x.txt", "U+0000")]
    [InlineData("esc\u001B[31mred.txt", "U+001B")]
    public async Task A_blob_named_with_an_XML_invalid_character_is_rejected_and_kept_and_the_clean_files_around_it_are_routed(string poison, string codePoint)
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws);
        // One clean file sorts before the poison, one after it, one in a folder beside it: none may wait for it.
        await app.Host.Until(UploadsDecided.Of(token, 4), async () =>
        {
            await PutBlob(token, "aa-before.txt", "before");
            await PutBlob(token, Encode(poison), "poison bytes");
            await PutBlob(token, "zz-after.txt", "after");
            await PutBlob(token, $"{Encode(poison[..3])}/inside.txt", "beside");
        }, seconds: 30);

        var uploads = (await Uploads(alice, ws)).Settled();
        Assert.Equal(4, uploads.Count);
        var rejected = Assert.Single(uploads, u => u.Str("status") == "rejected");
        Assert.Equal(poison, rejected.Str("name"));
        var reason = rejected.Str("error");
        Assert.Contains(codePoint, reason);
        Assert.DoesNotContain(poison, reason); // the character itself is never written into a message
        Assert.Equal("poison bytes", await Quarantined(ws, rejected));
        var inbox = (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("path")).Order().ToList();
        Assert.Equal(["inbox/aa-before.txt", $"inbox/{poison[..3]}/inside.txt", "inbox/zz-after.txt"], inbox);
        // Tokens counts the routed files from usage messages (batched): the poison is not one of them.
        long received = 0;
        await TokenApi.Eventually(async () => (received = (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{token.Str("tid")}"))
            .GetProperty("files_received").GetInt64()) == 3, 10, $"the token counts the 3 clean files (saw {received})");
        var audit = (await alice.GetJson($"/api/workspaces/{ws}/audit?type=upload_rejected")).GetProperty("entries");
        Assert.Equal(rejected.Str("error"), Assert.Single(audit.EnumerateArray()).GetProperty("details").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Unsafe_names_end_rejected_with_their_bytes_in_the_quarantine_never_pending()
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws);
        // As sent: dot segments percent-encoded or literal, a leading and a trailing '/', backslashes (storage makes them '/').
        string[] sent = ["%2E%2E/x.txt", "./dot.txt", "/abs.txt", "..%5C..%5Cwin.txt", "dir/", "a/%2E%2E/b.txt", "x/./y.txt"];
        await app.Host.Until(UploadsDecided.Of(token, sent.Length + 1), async () =>
        {
            foreach (var path in sent)
                await PutBlob(token, path, $"bytes of {path}");
            await PutBlob(token, "fine.txt", "fine");
        }, seconds: 30);

        var uploads = (await Uploads(alice, ws)).Settled();
        Assert.Equal(sent.Length + 1, uploads.Count);
        var rejected = uploads.Where(u => u.Str("status") == "rejected").ToList();
        Assert.Equal(sent.Length, rejected.Count);
        foreach (var upload in rejected)
        {
            Assert.StartsWith("Unsafe file name", upload.Str("error"));
            Assert.StartsWith("bytes of ", await Quarantined(ws, upload));
        }
        Assert.Equal(["inbox/fine.txt"], (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("path")));
        // Every source blob was removed once its outcome was recorded: nothing is left to be listed again.
        var left = new List<string>();
        await foreach (var blob in new BlobServiceClient(TestServices.Landing).GetBlobContainerClient(token.Str("inboxid")).GetBlobsAsync())
            left.Add(blob.Name);
        Assert.Empty(left);
    }

    [Theory]
    [InlineData("invoice\u202Etxt.exe", "U+202E")] // shows as "invoiceexe.txt"
    [InlineData("report\u2066x\u2069.txt", "U+2066")]
    [InlineData("zero\u200Bwidth.txt", "U+200B")]
    [InlineData("joined\u200Dname.txt", "U+200D")]
    [InlineData("mark\u200F.txt", "U+200F")]
    [InlineData("arabic\u061Cmark.txt", "U+061C")]
    [InlineData("word\u2060joiner.txt", "U+2060")]
    [InlineData("bom\uFEFFname.txt", "U+FEFF")]
    public async Task Names_with_direction_overrides_or_invisible_characters_are_refused_naming_the_code_point(string name, string codePoint)
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws);
        await app.Host.Until(UploadsDecided.Of(token, 1), () => PutBlob(token, $"inbox-like/{Encode(name)}", "looks like something else"), seconds: 30);

        var upload = Assert.Single((await Uploads(alice, ws)).Settled());
        Assert.Equal("rejected", upload.Str("status"));
        Assert.Contains(codePoint, upload.Str("error"));
        Assert.Equal("looks like something else", await Quarantined(ws, upload));
        Assert.Empty((await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray());
    }

    [Fact]
    public async Task NFC_and_NFD_spellings_of_one_name_never_become_two_files_that_look_the_same()
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws);
        var nfc = "caf\u00E9.txt";
        var nfd = "cafe\u0301.txt";
        await app.Host.Until(UploadsDecided.Of(token, 2), async () =>
        {
            await PutBlob(token, Encode(nfc), "composed");
            await PutBlob(token, Encode(nfd), "decomposed");
        }, seconds: 30);

        Assert.All((await Uploads(alice, ws)).Settled(), u => Assert.Equal("routed", u.Str("status")));
        var paths = (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("path")).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["inbox/caf\u00E9 (2).txt", "inbox/caf\u00E9.txt"], paths);
        // Both read back by either spelling of the path: the API takes names in NFC too.
        var either = await alice.GetStringAsync($"/api/workspaces/{ws}/files/content?path={Uri.EscapeDataString("inbox/" + nfd)}");
        Assert.Contains(either, new[] { "composed", "decomposed" });
    }

    [Fact]
    public async Task AzCopy_sends_an_NFD_name_and_a_direction_override_and_each_is_handled_by_the_same_rules()
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws);
        var folder = LocalFiles.Folder([("cafe\u0301.txt", "decomposed"), ("invoice\u202Etxt.exe", "override"), ("plain.txt", "plain")]);
        var uploads = (await app.Host.UploadUntilDecided(alice, token, folder, 3, seconds: 60)).Settled();

        Assert.Equal(3, uploads.Count);
        var rejected = Assert.Single(uploads, u => u.Str("status") == "rejected");
        Assert.Contains("U+202E", rejected.Str("error"));
        var paths = (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("path")).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["inbox/caf\u00E9.txt", "inbox/plain.txt"], paths);
    }
}

/// <summary>Development with no Ingestion:EventGridKey, as <c>./run.sh</c> starts it: the endpoint must still refuse every sender.</summary>
public sealed class NoEventGridKeyApp : InletApp
{
    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Ingestion:EventGridKey", "");
        // Asked for, but without a key there is no way to authenticate a delivery: polling must stay on.
        builder.UseSetting("Ingestion:PushDetection", "true");
        builder.UseSetting("Ingestion:SafetyNetPollInterval", "01:00:00");
    }
}

/// <summary>The Event Grid endpoint is always authenticated (issue #32 item 3): a bad or missing key is a 401 and routes nothing.</summary>
public sealed class EventGridAuthIsolationTests(PushOnlyApp push, NoEventGridKeyApp unconfigured) : IClassFixture<PushOnlyApp>, IClassFixture<NoEventGridKeyApp>
{
    private static async Task AssertUnauthorised(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(InletApp.EventGridKey, body);
    }

    [Fact]
    public async Task A_delivery_with_no_key_or_a_wrong_key_is_answered_401_and_routes_nothing()
    {
        var ws = InletApp.NewWorkspace();
        var alice = await push.SignedIn("alice", ws);
        var token = await alice.Issue(ws);
        var container = token.Str("inboxid");
        await new BlobContainerClient(new Uri(token.Str("token"))).GetBlobClient("waiting.txt").UploadAsync(BinaryData.FromString("waiting"));
        var client = push.Host.Server.CreateClient();
        var events = new[] { EventGrid.BlobCreated(container, "waiting.txt") };

        foreach (var url in new[] { "/api/ingestion/eventgrid", "/api/ingestion/eventgrid?key=", "/api/ingestion/eventgrid?key=wrong",
                     $"/api/ingestion/eventgrid?key={InletApp.EventGridKey}x", $"/api/ingestion/eventgrid?key={InletApp.EventGridKey[..^1]}" })
        {
            await AssertUnauthorised(await client.PostAsJsonAsync(url, events));
            var handshake = new HttpRequestMessage(HttpMethod.Options, url);
            handshake.Headers.Add("WebHook-Request-Origin", "eventgrid.azure.net");
            await AssertUnauthorised(await client.SendAsync(handshake));
        }
        // The safety net is an hour away: had any refused delivery been acted on, the file would be routed by now.
        await Task.Delay(1500);
        Assert.Empty((await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray());

        // The same delivery with the key routes it: the refusals above were the key's doing, not the event's.
        await EventGrid.Deliver(client, events);
        await TokenApi.Eventually(async () => (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray()
            .Any(u => u.Str("status") == "routed"), 20, "waiting.txt routed by the delivery with the key");
    }

    [Fact]
    public async Task With_no_key_configured_every_delivery_is_refused_and_polling_still_routes()
    {
        var ws = InletApp.NewWorkspace();
        var alice = await unconfigured.SignedIn("alice", ws);
        var token = await alice.Issue(ws);
        var client = unconfigured.Host.Server.CreateClient();
        var events = new[] { EventGrid.BlobCreated(token.Str("inboxid"), "polled.txt") };
        foreach (var url in new[] { "/api/ingestion/eventgrid", "/api/ingestion/eventgrid?key=", "/api/ingestion/eventgrid?key=anything" })
            await AssertUnauthorised(await client.PostAsJsonAsync(url, events));
        var validation = new[]
        {
            new { id = "1", eventType = "Microsoft.EventGrid.SubscriptionValidationEvent", subject = "", data = new { validationCode = "c0de" } },
        };
        await AssertUnauthorised(await client.PostAsJsonAsync("/api/ingestion/eventgrid", validation));

        // Push detection was asked for but cannot be trusted without a key: the poller lists at its usual pace instead
        // of the hour-long safety net.
        await unconfigured.Host.Until(UploadsDecided.Of(token, 1), () =>
            new BlobContainerClient(new Uri(token.Str("token"))).GetBlobClient("polled.txt").UploadAsync(BinaryData.FromString("polled")), seconds: 30);
        Assert.Equal("routed", Assert.Single((await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray()).Str("status"));
    }
}

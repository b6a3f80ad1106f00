using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Hosting;

namespace Inlet.Tests.Ingestion;

/// <summary>Push first: events drive detection; the safety net is so slow here (1 h) that only events can route in time.</summary>
public sealed class PushOnlyApp : InletApp
{
    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Ingestion:PushDetection", "true");
        builder.UseSetting("Ingestion:SafetyNetPollInterval", "01:00:00");
    }
}

/// <summary>Push first with a fast safety net, to show a lost event's blob is still found.</summary>
public sealed class SafetyNetApp : InletApp
{
    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Ingestion:PushDetection", "true");
        builder.UseSetting("Ingestion:SafetyNetPollInterval", "00:00:03");
    }
}

internal static class EventGrid
{
    public static object BlobCreated(string container, string blob) => new
    {
        id = Guid.NewGuid().ToString(), eventType = "Microsoft.Storage.BlobCreated", topic = "/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/z",
        subject = $"/blobServices/default/containers/{container}/blobs/{blob}", eventTime = DateTimeOffset.UtcNow, dataVersion = "", metadataVersion = "1",
        data = new { api = "PutBlob", contentType = "text/plain", blobType = "BlockBlob", url = $"https://z.blob.core.windows.net/{container}/{blob}" },
    };

    public static async Task Deliver(HttpClient client, params object[] events)
        => Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/api/ingestion/eventgrid?key={InletApp.EventGridKey}", events)).StatusCode);
}

/// <summary>Event Grid's CloudEvents 1.0 schema, as it delivers BlobCreated (structured JSON mode).</summary>
internal static class CloudEvents
{
    public static Dictionary<string, object> BlobCreated(string container, string blob) => new()
    {
        ["specversion"] = "1.0", ["type"] = "Microsoft.Storage.BlobCreated",
        ["source"] = "/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/z",
        ["id"] = Guid.NewGuid().ToString(), ["time"] = DateTimeOffset.UtcNow.ToString("O"),
        ["subject"] = $"/blobServices/default/containers/{container}/blobs/{blob}",
        ["data"] = new { api = "PutBlockList", contentType = "text/plain", blobType = "BlockBlob", url = $"https://z.blob.core.windows.net/{container}/{blob}" },
    };

    public static Task<HttpResponseMessage> Post(HttpClient client, string mediaType, object body)
    {
        var content = new StringContent(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(mediaType) { CharSet = "utf-8" };
        return client.PostAsync($"/api/ingestion/eventgrid?key={InletApp.EventGridKey}", content);
    }
}

public sealed class PushDetectionTests(PushOnlyApp app) : IClassFixture<PushOnlyApp>
{
    [Fact]
    public async Task CloudEvents_deliveries_one_at_a_time_and_in_batches_route_each_blob_once_after_the_webhook_handshake()
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var issued = await alice.Issue(ws);
        var container = issued.Str("inboxid");
        var withSas = new BlobContainerClient(new Uri(issued.Str("token")));
        foreach (var name in new[] { "one.txt", "two.txt", "three.txt" })
            await withSas.GetBlobClient(name).UploadAsync(BinaryData.FromString(name));
        var client = app.Host.Server.CreateClient();

        // The abuse-protection handshake Event Grid sends before CloudEvents deliveries: allowed with the key, refused without.
        var handshake = new HttpRequestMessage(HttpMethod.Options, $"/api/ingestion/eventgrid?key={InletApp.EventGridKey}");
        handshake.Headers.Add("WebHook-Request-Origin", "eventgrid.azure.net");
        var answer = await client.SendAsync(handshake);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("eventgrid.azure.net", answer.Headers.GetValues("WebHook-Allowed-Origin").Single());
        var stranger = new HttpRequestMessage(HttpMethod.Options, "/api/ingestion/eventgrid?key=wrong");
        stranger.Headers.Add("WebHook-Request-Origin", "eventgrid.azure.net");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(stranger)).StatusCode);

        // A malformed CloudEvent (no specversion) is refused, naming what is wrong; nothing is routed by it.
        var broken = CloudEvents.BlobCreated(container, "one.txt");
        broken.Remove("specversion");
        var refused = await CloudEvents.Post(client, "application/cloudevents+json", broken);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await refused.Content.ReadAsStringAsync();
        Assert.True(problem.Contains("specversion", StringComparison.OrdinalIgnoreCase) || problem.Contains("spec version", StringComparison.OrdinalIgnoreCase), problem);

        // A Content-Type that does not parse is the sender's error, named, not a server fault.
        var garbled = new HttpRequestMessage(HttpMethod.Post, $"/api/ingestion/eventgrid?key={InletApp.EventGridKey}") { Content = new ByteArrayContent("[]"u8.ToArray()) };
        Assert.True(garbled.Content.Headers.TryAddWithoutValidation("Content-Type", "application/cloudevents+json; ;="));
        var unparsed = await client.SendAsync(garbled);
        Assert.Equal(HttpStatusCode.BadRequest, unparsed.StatusCode);
        Assert.Contains("Content-Type", await unparsed.Content.ReadAsStringAsync());

        var one = CloudEvents.BlobCreated(container, "one.txt");
        Assert.Equal(HttpStatusCode.OK, (await CloudEvents.Post(client, "application/cloudevents+json", one)).StatusCode);
        var two = CloudEvents.BlobCreated(container, "two.txt");
        var three = CloudEvents.BlobCreated(container, "three.txt");
        Assert.Equal(HttpStatusCode.OK, (await CloudEvents.Post(client, "application/cloudevents-batch+json", new[] { three, one, two, three })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await CloudEvents.Post(client, "application/cloudevents+json", two)).StatusCode);

        List<JsonElement> uploads = [];
        await TokenApi.Eventually(async () =>
        {
            uploads = (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToList();
            return uploads.Count(u => u.Str("status") == "routed") >= 3;
        }, 20, "the three pushed blobs routed (the safety net is an hour away)");
        await Task.Delay(2000);
        Assert.Equal(3, (await alice.GetJson($"/api/workspaces/{ws}/uploads")).GetArrayLength());
        var inbox = (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("path")).Order().ToList();
        Assert.Equal(["inbox/one.txt", "inbox/three.txt", "inbox/two.txt"], inbox);
    }

    [Fact]
    public async Task Duplicate_and_out_of_order_deliveries_route_each_blob_once()
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var issued = await alice.Issue(ws);
        var container = issued.Str("inboxid");
        var withSas = new BlobContainerClient(new Uri(issued.Str("token")));
        await withSas.GetBlobClient("a.txt").UploadAsync(BinaryData.FromString("a"));
        await withSas.GetBlobClient("b.txt").UploadAsync(BinaryData.FromString("b"));
        var client = app.Host.Server.CreateClient();

        // b's event first, then a's twice in one delivery, then b's again in another (Event Grid retries).
        var b = EventGrid.BlobCreated(container, "b.txt");
        await EventGrid.Deliver(client, b);
        var a = EventGrid.BlobCreated(container, "a.txt");
        await EventGrid.Deliver(client, a, a);
        await EventGrid.Deliver(client, b);

        List<JsonElement> uploads = [];
        await TokenApi.Eventually(async () =>
        {
            uploads = (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToList();
            return uploads.Count(u => u.Str("status") == "routed") >= 2;
        }, 20, "both pushed blobs routed (the safety net is an hour away)");
        await Task.Delay(2000);
        uploads = (await alice.GetJson($"/api/workspaces/{ws}/uploads")).EnumerateArray().ToList();
        Assert.Equal(2, uploads.Count);
        var inbox = (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("path")).Order().ToList();
        Assert.Equal(2, inbox.Count);
        Assert.DoesNotContain(inbox, p => p.Contains(" (2)"));
    }
}

public sealed class SafetyNetTests(SafetyNetApp app) : IClassFixture<SafetyNetApp>
{
    [Fact]
    public async Task A_blob_whose_event_was_lost_is_routed_by_the_safety_net()
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var issued = await alice.Issue(ws);
        var withSas = new BlobContainerClient(new Uri(issued.Str("token")));
        await withSas.GetBlobClient("pushed.txt").UploadAsync(BinaryData.FromString("pushed"));
        await withSas.GetBlobClient("lost.txt").UploadAsync(BinaryData.FromString("its event never came"));
        await EventGrid.Deliver(app.Host.Server.CreateClient(), EventGrid.BlobCreated(issued.Str("inboxid"), "pushed.txt"));

        List<string> inbox = [];
        await TokenApi.Eventually(async () =>
        {
            inbox = (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Select(f => f.Str("path")).ToList();
            return inbox.Count >= 2;
        }, 30, "the pushed blob and the one whose event was dropped both routed");
        Assert.Equal(2, inbox.Count);
    }
}

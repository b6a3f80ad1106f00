using Azure.Storage.Blobs;
using Inlet.Ingestion.Routing;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace Inlet.Tests.Tabular;

/// <summary>
/// AzCopy delivered a CSV and its metadata together, but the metadata is routed later than the metadata grace
/// (a large upload, a busy node): the CSV waits for it rather than load with guessed types.
/// The blobs are routed one at a time, in the order the test chooses, from a container no poller lists.
/// </summary>
public sealed class LateMetadataTests(InletApp app) : IClassFixture<InletApp>
{
    private const string Csv = "code,measured,n\n007,2026-01-01,1\n012,2026-02-03,2\n";
    private const string BadCsv = "code,measured,n\n007,2026-01-01,1\n012,2026-13-45,2\n";
    // "n" is what tells the two apart: numeric as declared, integer as inferred.
    private const string Schema = """{ "fields": [ { "name": "code", "type": "string" }, { "name": "measured", "type": "date" }, { "name": "n", "type": "number" } ] }""";

    private sealed record Delivery(HttpClient Client, string Ws, Guid Tid, BlobContainerClient Container);

    private async Task<Delivery> Deliver(params (string Name, string Text)[] files)
    {
        var ws = InletApp.NewWorkspace("late");
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws, new { reason = "late metadata", upload_to_database = true });
        var container = new BlobServiceClient(TestServices.Storage).GetBlobContainerClient($"late-{Guid.NewGuid():N}");
        await container.CreateAsync();
        foreach (var (name, text) in files)
            await container.GetBlobClient(name).UploadAsync(BinaryData.FromString(text));
        return new Delivery(alice, ws, Guid.Parse(token.Str("tid")), container);
    }

    private async Task Route(Delivery delivery, string name)
    {
        var properties = (await delivery.Container.GetBlobClient(name).GetPropertiesAsync()).Value;
        await using var scope = app.Host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IMessageBus>().InvokeAsync(
            new IngestBlob(delivery.Tid, delivery.Container.Name, name, properties.ETag.ToString(), properties.ContentLength, null));
    }

    private static async Task<JsonElement> Upload(Delivery delivery, string name) =>
        (await delivery.Client.GetJson($"/api/workspaces/{delivery.Ws}/uploads")).EnumerateArray().Single(u => u.Str("name") == name);

    private static async Task<int> TableCount(Delivery delivery) =>
        (await delivery.Client.GetJson($"/api/workspaces/{delivery.Ws}/tables")).GetArrayLength();

    /// <summary>More than two metadata graces (3 s each in tests) pass with the schema delivered but not routed.</summary>
    private static async Task PastTheGrace(Delivery delivery, string csv)
    {
        await Task.Delay(TimeSpan.FromSeconds(7));
        Assert.Equal("pending", (await Upload(delivery, csv)).Str("status"));
        Assert.Equal(0, await TableCount(delivery));
    }

    [Fact]
    public async Task A_CSV_routed_before_its_delivered_schema_waits_and_loads_with_the_declared_types()
    {
        var delivery = await Deliver(("w.csv", Csv), ("w.schema.json", Schema));
        await Route(delivery, "w.csv");
        await PastTheGrace(delivery, "w.csv");

        await app.Host.Until(new UploadsDecided(delivery.Ws, 2, delivery.Tid), () => Route(delivery, "w.schema.json"));
        Assert.Equal("routed", (await Upload(delivery, "w.csv")).Str("status"));
        var table = (await delivery.Client.GetJson($"/api/workspaces/{delivery.Ws}/tables")).EnumerateArray().Single();
        Assert.Equal("w", table.Str("name"));
        Assert.Equal(["code:text", "measured:date", "n:numeric"], table.GetProperty("columns").EnumerateArray().Select(c => $"{c.Str("name")}:{c.Str("type")}"));
        var events = (await delivery.Client.GetJson($"/api/workspaces/{delivery.Ws}/audit")).EnumerateArray().Select(e => e.Str("type")).ToList();
        Assert.Single(events, t => t == "table_loaded"); // loaded once, with the schema: never first with guessed types
    }

    [Fact]
    public async Task A_CSV_that_breaks_its_late_schema_loads_nothing_and_is_rejected()
    {
        var delivery = await Deliver(("bad.csv", BadCsv), ("bad.schema.json", Schema));
        await Route(delivery, "bad.csv");
        await PastTheGrace(delivery, "bad.csv");

        await app.Host.Until(new UploadsDecided(delivery.Ws, 2, delivery.Tid), () => Route(delivery, "bad.schema.json"));
        Assert.Equal("rejected", (await Upload(delivery, "bad.csv")).Str("status"));
        var error = (await Upload(delivery, "bad.csv")).Str("error");
        Assert.Contains("line 3", error);
        Assert.Contains("2026-13-45", error);
        Assert.Equal(0, await TableCount(delivery));
    }

    [Fact]
    public async Task Delivered_metadata_that_never_arrives_is_waited_for_only_up_to_the_limit()
    {
        var delivery = await Deliver(("gone.csv", Csv), ("gone.schema.json", Schema));
        await Route(delivery, "gone.csv");
        await PastTheGrace(delivery, "gone.csv");

        // Tabular:MetadataWaitLimit is 10 minutes; the CSV's next look after a grace finds it passed.
        await app.Host.Until(new UploadsDecided(delivery.Ws, 1, delivery.Tid), () =>
        {
            app.Clock.Advance(TimeSpan.FromMinutes(11));
            return Task.CompletedTask;
        });
        Assert.Equal("routed", (await Upload(delivery, "gone.csv")).Str("status"));
        var table = (await delivery.Client.GetJson($"/api/workspaces/{delivery.Ws}/tables")).EnumerateArray().Single();
        Assert.Equal(["code:text", "measured:date", "n:integer"], table.GetProperty("columns").EnumerateArray().Select(c => $"{c.Str("name")}:{c.Str("type")}"));
    }
}

using Azure.Storage.Blobs;
using Inlet.Ingestion.Routing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace Inlet.Tests.Tabular;

/// <summary>Every CSV counts as large here: it starts loading at once instead of waiting out the metadata grace as a scheduled message.</summary>
public sealed class EarlyStartApp : InletApp
{
    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Tabular:StartDuringGraceBytes", "1");
        // Long enough that the schema routed 1 s after the CSV is staged in time even on a busy machine: with 8 s, a full
        // run on two cores once staged it after the grace, and the CSV then (rightly) committed its inferred types first.
        builder.UseSetting("Tabular:MetadataGrace", "00:00:20");
    }
}

/// <summary>
/// A large CSV without metadata is read during the metadata grace (Tabular:StartDuringGraceBytes), but commits only once
/// the grace is over; metadata that arrives meanwhile still decides its types. Blobs are routed in the order the test
/// chooses, from a container no poller lists.
/// </summary>
public sealed class EarlyStartTests(EarlyStartApp app) : IClassFixture<EarlyStartApp>
{
    private const string Csv = "code,measured,n\n007,2026-01-01,1\n012,2026-02-03,2\n";
    // "n" tells the two apart: numeric as declared, integer as inferred.
    private const string Schema = """{ "fields": [ { "name": "code", "type": "string" }, { "name": "measured", "type": "date" }, { "name": "n", "type": "number" } ] }""";

    private sealed record Delivery(HttpClient Client, string Ws, Guid Tid, BlobContainerClient Container);

    private async Task<Delivery> Start()
    {
        var ws = InletApp.NewWorkspace("early");
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws, new { reason = "early start", upload_to_database = true });
        var container = new BlobServiceClient(TestServices.Storage).GetBlobContainerClient($"early-{Guid.NewGuid():N}");
        await container.CreateAsync();
        return new Delivery(alice, ws, Guid.Parse(token.Str("tid")), container);
    }

    private async Task Route(Delivery delivery, string name, string text)
    {
        var blob = delivery.Container.GetBlobClient(name);
        await blob.UploadAsync(BinaryData.FromString(text));
        var properties = (await blob.GetPropertiesAsync()).Value;
        await using var scope = app.Host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IMessageBus>().InvokeAsync(
            new IngestBlob(delivery.Tid, delivery.Container.Name, name, properties.ETag.ToString(), properties.ContentLength, null));
    }

    private static async Task<JsonElement> Upload(Delivery delivery, string name) =>
        (await delivery.Client.GetJson($"/api/workspaces/{delivery.Ws}/uploads")).EnumerateArray().Single(u => u.Str("name") == name);

    private static async Task<List<string>> Columns(Delivery delivery) =>
        [.. (await delivery.Client.GetJson($"/api/workspaces/{delivery.Ws}/tables")).EnumerateArray().SelectMany(t => t.GetProperty("columns").EnumerateArray())
            .Select(c => $"{c.Str("name")}:{c.Str("type")}")];

    [Fact]
    public async Task A_large_CSV_without_metadata_commits_its_inferred_types_only_after_the_grace()
    {
        var delivery = await Start();
        await app.Host.Until(new UploadsDecided(delivery.Ws, 1, delivery.Tid), async () =>
        {
            await Route(delivery, "w.csv", Csv);
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            Assert.Equal("pending", (await Upload(delivery, "w.csv")).Str("status"));
            Assert.Empty(await Columns(delivery));
        });
        Assert.Equal("routed", (await Upload(delivery, "w.csv")).Str("status"));
        var columns = await Columns(delivery);
        Assert.Contains("n:integer", columns);
        Assert.Contains("measured:date", columns);
    }

    [Fact]
    public async Task Metadata_routed_while_a_large_CSV_is_read_decides_its_types_and_the_table_is_loaded_once()
    {
        var delivery = await Start();
        await app.Host.Until(new UploadsDecided(delivery.Ws, 2, delivery.Tid), async () =>
        {
            await Route(delivery, "w.csv", Csv);
            await Task.Delay(TimeSpan.FromSeconds(1));
            await Route(delivery, "w.schema.json", Schema);
        });
        Assert.Equal("routed", (await Upload(delivery, "w.csv")).Str("status"));
        Assert.Equal(["code:text", "measured:date", "n:numeric"], await Columns(delivery));
        await Task.Delay(TimeSpan.FromSeconds(3)); // past the grace: the load that was read first must not commit after all
        Assert.Equal(["code:text", "measured:date", "n:numeric"], await Columns(delivery));
        var events = (await delivery.Client.GetJson($"/api/workspaces/{delivery.Ws}/audit")).EnumerateArray().Select(e => e.Str("type")).ToList();
        Assert.Single(events, t => t == "table_loaded");
    }
}

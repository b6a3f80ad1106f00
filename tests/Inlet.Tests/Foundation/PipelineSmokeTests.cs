using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using Inlet.Tokens.Contracts;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Wolverine.Tracking;

namespace Inlet.Tests.Foundation;

/// <summary>Proves every real part is wired: HTTP, Wolverine, Marten on PostgreSQL, Azurite and AzCopy.</summary>
public sealed class PipelineSmokeTests(InletApp app) : IClassFixture<InletApp>
{
    [Fact]
    public async Task Health_endpoints_report_live_and_ready_against_real_services()
    {
        var client = app.Host.Server.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/openapi/v1.json")).StatusCode);
    }

    [Fact]
    public async Task A_Wolverine_message_round_trips_through_a_handler_that_appends_a_Marten_event()
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var tid = Guid.Parse((await alice.Issue(ws)).Str("tid"));
        var batch = Guid.NewGuid();

        var message = new RecordUploadTokenUsage(tid, ws, batch, 3, 300, DateTimeOffset.UtcNow);
        // Usage is handled in batches (Program.cs): the same file twice in one batch, then again in another.
        await app.Host.InvokeMessageAndWaitAsync(new[] { message, message });
        await app.Host.InvokeMessageAndWaitAsync(new[] { message }); // re-delivered: counted once

        await using var session = app.Host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var events = await session.Events.FetchStreamAsync(tid);
        Assert.Equal(["upload_token_issued", "upload_token_used"], events.Select(e => e.EventTypeName));
        var summary = await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}");
        Assert.Equal(3, summary.GetProperty("files_received").GetInt64());
        Assert.Equal(300, summary.GetProperty("bytes_received").GetInt64());
        Assert.NotEqual(JsonValueKind.Null, summary.GetProperty("last_used_at").ValueKind);
        var trail = await alice.GetJson($"/api/workspaces/{ws}/upload-tokens/{tid}/events");
        var used = trail.EnumerateArray().Single(e => e.Str("type") == "used");
        Assert.Equal(3, used.GetProperty("details").GetProperty("files").GetInt32());
        Assert.Equal(300, used.GetProperty("details").GetProperty("bytes").GetInt64());
    }

    [Fact]
    public async Task AzCopy_uploads_to_Azurite_with_a_SAS_from_Azure_Storage_Blobs()
    {
        var container = new BlobServiceClient(TestServices.Storage).GetBlobContainerClient($"smoke-{Guid.NewGuid():N}");
        await container.CreateAsync();
        var sas = container.GenerateSasUri(BlobContainerSasPermissions.Create | BlobContainerSasPermissions.Write, DateTimeOffset.UtcNow.AddHours(1));
        var file = Path.Combine(Directory.CreateTempSubdirectory().FullName, "hello.txt");
        await File.WriteAllTextAsync(file, "hello, workspace");

        var result = await AzCopy.Copy(file, sas.ToString());

        Assert.True(result.Succeeded, result.Output);
        var content = await container.GetBlobClient("hello.txt").DownloadContentAsync();
        Assert.Equal("hello, workspace", content.Value.Content.ToString());
        Assert.NotNull(content.Value.Details.ContentHash); // --put-md5 stored the MD5
    }
}

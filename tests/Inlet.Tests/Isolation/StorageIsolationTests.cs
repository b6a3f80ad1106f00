using System.Text;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Wolverine.Tracking;

namespace Inlet.Tests.Isolation;

/// <summary>
/// What an attacker can send to storage with nothing but their own token's SAS: the Blob service's server-side writes,
/// which fill a blob of the attacker's container from another address (issue #32, docs/adr/0030-landing-account.md).
/// Raw REST requests, as a hand-made client would send them; no Inlet key is used. Reusable against any set-up (one
/// Host, two nodes through <see cref="InletApp.StartHost"/>): <see cref="Run"/> takes the attacker's client and SAS.
/// </summary>
public static class StorageAttacks
{
    public enum Kind
    {
        /// <summary>Copy Blob: <c>PUT</c> with <c>x-ms-copy-source</c> (asynchronous).</summary>
        CopyBlob,

        /// <summary>Copy Blob From URL: the same with <c>x-ms-requires-sync: true</c>.</summary>
        CopyBlobFromUrl,

        /// <summary>Put Blob From URL: <c>PUT</c> with <c>x-ms-copy-source</c> and <c>x-ms-blob-type: BlockBlob</c>.</summary>
        PutBlobFromUrl,

        /// <summary>Put Block From URL (<c>comp=block</c> with <c>x-ms-copy-source</c>), then Put Block List committing it.</summary>
        PutBlockFromUrl,
    }

    public static readonly Kind[] All = Enum.GetValues<Kind>();

    private const string Version = "2021-12-02";
    private static readonly HttpClient Http = new();

    /// <summary>Storage's answer: its status and error code. 2xx means storage made the blob.</summary>
    public sealed record Answer(Kind Kind, int Status, string? Error)
    {
        public bool Accepted => Status is >= 200 and < 300;

        public override string ToString() => $"{Kind}: {Status} {Error}";
    }

    /// <summary>The address of <paramref name="blob"/> in the container a SAS names, with the SAS's query and <paramref name="extra"/> parameters.</summary>
    public static Uri BlobUrl(Uri containerSas, string blob, string extra = "") =>
        new($"{containerSas.GetLeftPart(UriPartial.Path).TrimEnd('/')}/{Uri.EscapeDataString(blob)}{containerSas.Query}{extra}");

    /// <summary>Asks storage to fill <paramref name="blob"/> in the attacker's container from <paramref name="source"/> (an address without any credential: the attacker has none for it).</summary>
    public static async Task<Answer> Send(Uri attackerSas, string blob, Uri source, Kind kind)
    {
        if (kind == Kind.PutBlockFromUrl)
        {
            var blockId = Convert.ToBase64String(Encoding.UTF8.GetBytes("attack-block-0001"));
            var staged = await Put(kind, BlobUrl(attackerSas, blob, $"&comp=block&blockid={Uri.EscapeDataString(blockId)}"), source, r => { });
            if (!staged.Accepted)
                return staged;
            var list = new StringContent($"<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><Latest>{blockId}</Latest></BlockList>", Encoding.UTF8, "application/xml");
            return await Put(kind, BlobUrl(attackerSas, blob, "&comp=blocklist"), null, r => r.Content = list);
        }
        return await Put(kind, BlobUrl(attackerSas, blob), source, r =>
        {
            if (kind == Kind.CopyBlobFromUrl)
                r.Headers.Add("x-ms-requires-sync", "true");
            if (kind == Kind.PutBlobFromUrl)
                r.Headers.Add("x-ms-blob-type", "BlockBlob");
        });
    }

    private static async Task<Answer> Put(Kind kind, Uri url, Uri? source, Action<HttpRequestMessage> configure)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = new ByteArrayContent([]) };
        request.Content.Headers.ContentLength = 0;
        request.Headers.Add("x-ms-version", Version);
        request.Headers.Add("x-ms-date", DateTimeOffset.UtcNow.ToString("R"));
        if (source is not null)
            request.Headers.Add("x-ms-copy-source", source.AbsoluteUri);
        configure(request);
        using var response = await Http.SendAsync(request);
        response.Headers.TryGetValues("x-ms-error-code", out var codes);
        return new Answer(kind, (int)response.StatusCode, codes?.FirstOrDefault());
    }

    /// <summary>What one attack came to: storage's answer, and (when storage made the blob) the upload record the attacker's workspace shows.</summary>
    public sealed record Outcome(Answer Answer, JsonElement? Upload);

    /// <summary>
    /// Runs one attack end to end: sends it, and when storage made the blob, waits until Inlet decided it (the
    /// attacker's uploads listing shows it other than pending). Then checks what must hold either way:
    /// nothing in the attacker's workspace holds <paramref name="secret"/>, and the blob is neither listed nor downloadable there.
    /// </summary>
    public static async Task<Outcome> Run(HttpClient attacker, string attackerWs, Uri attackerSas, Uri source, Kind kind, string secret)
    {
        var blob = $"stolen-{kind}-{Guid.NewGuid():N}"[..36] + ".txt";
        var answer = await Send(attackerSas, blob, source, kind);
        JsonElement? upload = null;
        if (answer.Accepted)
        {
            await TokenApi.Eventually(async () =>
            {
                upload = (await attacker.GetJson($"/api/workspaces/{attackerWs}/uploads")).EnumerateArray()
                    .Cast<JsonElement?>().FirstOrDefault(u => u!.Value.Str("name") == blob);
                return upload is { } u && u.Str("status") != "pending";
            }, 60, $"Inlet decides the blob {answer} made");
        }
        await AssertNothingLanded(attacker, attackerWs, blob, secret);
        return new Outcome(answer, upload);
    }

    /// <summary>The attacker's workspace holds no file by that name and no file with the other workspace's bytes.</summary>
    public static async Task AssertNothingLanded(HttpClient attacker, string attackerWs, string blob, string secret)
    {
        var files = (await attacker.GetJson($"/api/workspaces/{attackerWs}/files")).EnumerateArray().ToList();
        Assert.DoesNotContain(files, f => f.Str("path").EndsWith(blob, StringComparison.Ordinal));
        foreach (var file in files)
        {
            var content = await attacker.GetAsync($"/api/workspaces/{attackerWs}/files/content?path={Uri.EscapeDataString(file.Str("path"))}");
            if (content.IsSuccessStatusCode)
                Assert.NotEqual(secret, await content.Content.ReadAsStringAsync());
        }
        var direct = await attacker.GetAsync($"/api/workspaces/{attackerWs}/files/content?path={Uri.EscapeDataString("inbox/" + blob)}");
        Assert.Equal(HttpStatusCode.NotFound, direct.StatusCode);
    }

    /// <summary>Either storage refused, or Inlet rejected the blob naming the server-side copy (kept in quarantine, never routed).</summary>
    public static void AssertRefusedOrRejected(Outcome outcome)
    {
        if (!outcome.Answer.Accepted)
            return;
        var upload = outcome.Upload!.Value;
        Assert.True(upload.Str("status") == "rejected", $"{outcome.Answer}: storage made the blob and Inlet {upload.Str("status")} it: {upload}");
        Assert.Contains("server-side copy", upload.Str("error"));
    }
}

/// <summary>The other workspace's bytes an attacker is after, and Inlet's own view of storage for checking (never the attacker's).</summary>
public static class Victims
{
    public const string Secret = "diagnosis of study A's participant 17";

    /// <summary>Inlet's own key for the account a SAS names (test set-up and checks only; the attacker never has it).</summary>
    public static BlobContainerClient Admin(Uri containerSas)
    {
        var account = containerSas.AbsolutePath.Trim('/').Split('/')[0];
        var connection = new[] { "ConnectionStrings__Storage", "ConnectionStrings__Landing" }
            .Select(Environment.GetEnvironmentVariable).OfType<string>()
            .First(c => c.Contains($"AccountName={account};", StringComparison.OrdinalIgnoreCase));
        return new BlobServiceClient(connection).GetBlobContainerClient(containerSas.AbsolutePath.Trim('/').Split('/')[1]);
    }

    public static Uri WorkspaceEndpoint()
    {
        var endpoint = TestServices.Storage.Split(';').Single(p => p.StartsWith("BlobEndpoint=", StringComparison.Ordinal)).Split('=', 2)[1];
        return new Uri(endpoint.TrimEnd('/') + "/");
    }

    /// <summary>Workspace A with one file routed into its Inbox: (a)'s source, at the address its name gives away (ws-&lt;hash of the wsid&gt;).</summary>
    public static async Task<Uri> RoutedFileOfAnotherWorkspace(InletApp app)
    {
        var wsA = InletApp.NewWorkspace("victim");
        var alice = await app.SignedIn("alice", wsA);
        var sasA = new Uri((await alice.Issue(wsA)).Str("token"));
        await new BlobContainerClient(sasA).GetBlobClient("routed.txt").UploadAsync(BinaryData.FromString(Secret));
        await TokenApi.Eventually(async () => (await alice.GetJson($"/api/workspaces/{wsA}/inbox")).EnumerateArray().Any(f => f.Str("path") == "inbox/routed.txt"),
            30, "A's file is routed into A's Inbox");
        return new Uri(WorkspaceEndpoint(), $"{Inlet.Ingestion.WorkspaceFiles.WorkspaceStorage.ContainerFor(wsA)}/inbox/routed.txt");
    }

    /// <summary>
    /// (b)'s source: a file in another token's container, of workspace A. The token starts tomorrow, so Inlet does not list
    /// its container yet and the file stays there (an upload Inlet has not routed yet); it is put there with Inlet's key,
    /// standing for A's uploader.
    /// </summary>
    public static async Task<Uri> FileInAnotherTokensContainer(InletApp app)
    {
        var wsA = InletApp.NewWorkspace("victim");
        var alice = await app.SignedIn("alice", wsA);
        var sasA = new Uri((await alice.Issue(wsA, new { reason = "starts tomorrow", valid_from = DateTimeOffset.UtcNow.AddDays(1) })).Str("token"));
        var blob = Admin(sasA).GetBlobClient("waiting.txt");
        await blob.UploadAsync(BinaryData.FromString(Secret));
        return new Uri(sasA.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/waiting.txt");
    }
}

/// <summary>
/// Issue #32, item 1: uploads land apart from workspace data, and only uploaded bytes are routed. Bob, a member of
/// workspace B only, holds a token for B and tries to have storage copy another workspace's bytes into its container.
/// </summary>
public abstract class StorageIsolationSuite(InletApp app, Xunit.Abstractions.ITestOutputHelper output)
{
    public static TheoryData<StorageAttacks.Kind> Kinds => new(StorageAttacks.All);

    private async Task<(HttpClient Bob, string WsB, Uri SasB)> Attacker()
    {
        var wsB = InletApp.NewWorkspace("attacker");
        var bob = await app.SignedIn("bob", wsB);
        return (bob, wsB, new Uri((await bob.Issue(wsB)).Str("token")));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_server_side_copy_from_another_workspaces_container_never_lands_in_the_attackers_workspace(StorageAttacks.Kind kind)
    {
        var source = await Victims.RoutedFileOfAnotherWorkspace(app);
        var (bob, wsB, sasB) = await Attacker();
        var outcome = await StorageAttacks.Run(bob, wsB, sasB, source, kind, Victims.Secret);
        output.WriteLine($"storage answered {outcome.Answer}; Inlet: {outcome.Upload?.Str("status") ?? "nothing to route"}");
        StorageAttacks.AssertRefusedOrRejected(outcome);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_server_side_copy_from_another_tokens_container_never_lands_in_the_attackers_workspace(StorageAttacks.Kind kind)
    {
        var source = await Victims.FileInAnotherTokensContainer(app);
        var (bob, wsB, sasB) = await Attacker();
        var outcome = await StorageAttacks.Run(bob, wsB, sasB, source, kind, Victims.Secret);
        output.WriteLine($"storage answered {outcome.Answer}; Inlet: {outcome.Upload?.Str("status") ?? "nothing to route"}");
        StorageAttacks.AssertRefusedOrRejected(outcome);
        if (outcome.Answer.Accepted)
        {
            // Kept in B's quarantine (not listed, not downloadable), and the rejection is in B's audit trail like any other.
            Assert.StartsWith(".quarantine/", outcome.Upload!.Value.Str("location"));
            await TokenApi.Eventually(async () => (await bob.GetJson($"/api/workspaces/{wsB}/audit?type=upload_rejected")).GetProperty("entries").EnumerateArray()
                .Any(e => e.GetProperty("details").Str("reason").Contains("server-side copy")), 30, "the rejection in B's audit");
        }
    }

    [Fact]
    public async Task The_workspace_account_is_out_of_reach_of_a_token_SAS_even_as_the_source_of_a_server_side_copy()
    {
        // The layout itself (docs/adr/0030): token containers are in the landing account, so storage cannot verify a
        // copy source in the workspace account for a request signed only for the attacker's container.
        var source = await Victims.RoutedFileOfAnotherWorkspace(app);
        var (_, _, sasB) = await Attacker();
        Assert.NotEqual(Victims.WorkspaceEndpoint().AbsolutePath.Trim('/'), sasB.AbsolutePath.Trim('/').Split('/')[0]);
        foreach (var kind in StorageAttacks.All)
        {
            var answer = await StorageAttacks.Send(sasB, $"direct-{kind}.txt", source, kind);
            Assert.False(answer.Accepted, $"storage made a blob from workspace A's file: {answer}");
            Assert.False(await Victims.Admin(sasB).GetBlobClient($"direct-{kind}.txt").ExistsAsync());
        }
    }

    [Fact]
    public async Task A_token_SAS_still_cannot_list_read_delete_widen_or_reach_the_workspace_account()
    {
        var source = await Victims.RoutedFileOfAnotherWorkspace(app);
        var (_, _, sasB) = await Attacker();
        var mine = StorageAttacks.BlobUrl(sasB, "mine.txt");
        Assert.Equal(201, await StorageProbe.TryUpload(sasB, "mine.txt")); // the SAS works: the refusals below are not an outage

        async Task<int> Send(HttpMethod method, Uri url)
        {
            using var request = new HttpRequestMessage(method, url);
            request.Headers.Add("x-ms-version", "2021-12-02");
            using var response = await new HttpClient().SendAsync(request);
            return (int)response.StatusCode;
        }
        Assert.Equal(403, await Send(HttpMethod.Get, new Uri($"{sasB.GetLeftPart(UriPartial.Path)}{sasB.Query}&restype=container&comp=list")));
        Assert.Equal(403, await Send(HttpMethod.Get, mine));
        Assert.Equal(403, await Send(HttpMethod.Delete, mine));
        Assert.Equal(403, await Send(HttpMethod.Get, new Uri(mine.ToString().Replace("si=upload", "si=upload&sp=racwdl"))));
        // B's signature pointed at A's workspace container (another account now): refused for reading and writing.
        var crossed = new Uri(source.GetLeftPart(UriPartial.Path) + sasB.Query);
        Assert.Equal(403, await Send(HttpMethod.Get, crossed));
        var workspaceContainer = source.AbsoluteUri[..source.AbsoluteUri.IndexOf("/inbox/", StringComparison.Ordinal)];
        Assert.Equal(403, await StorageProbe.TryUpload(new Uri(workspaceContainer + sasB.Query), "planted.txt"));
    }
}

public sealed class StorageIsolationTests(InletApp app, Xunit.Abstractions.ITestOutputHelper output)
    : StorageIsolationSuite(app, output), IClassFixture<InletApp>;

/// <summary>The same attacks with two nodes: the attacker's API calls go to the second node, either node routes.</summary>
public sealed class TwoNodeStorageIsolationTests(TwoNodeInletApp app, Xunit.Abstractions.ITestOutputHelper output)
    : StorageIsolationSuite(app, output), IClassFixture<TwoNodeInletApp>;

/// <summary>
/// Issue #32, item 5 (storage): tokens issued before the landing account have their containers in the workspace account.
/// Their events name no account; they keep working there until they expire or are revoked, and the copy check guards
/// them where the layout cannot (inside one account, Azurite makes a copy under a container SAS).
/// </summary>
public sealed class LegacyTokenContainerTests(InletApp app) : IClassFixture<InletApp>
{
    /// <summary>A token provisioned as Inlet did before docs/adr/0030: container and policy in the workspace account, events without an account.</summary>
    private async Task<(Guid Tid, Uri Sas)> IssueTheOldWay(string ws)
    {
        var tid = Guid.CreateVersion7();
        var container = Inlet.Tokens.Storage.UploadTokenStorage.ContainerFor(tid);
        var now = DateTimeOffset.UtcNow;
        var (from, to) = (new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, TimeSpan.Zero), now.AddDays(1));
        var client = new BlobServiceClient(TestServices.Storage).GetBlobContainerClient(container);
        await client.CreateAsync();
        await client.SetAccessPolicyAsync(permissions: [new Azure.Storage.Blobs.Models.BlobSignedIdentifier
        {
            Id = Inlet.Tokens.Storage.UploadTokenStorage.PolicyId,
            AccessPolicy = new Azure.Storage.Blobs.Models.BlobAccessPolicy { PolicyStartsOn = from.AddMinutes(-5), PolicyExpiresOn = to, Permissions = "acw" },
        }]);
        var sas = client.GenerateSasUri(new Azure.Storage.Sas.BlobSasBuilder { BlobContainerName = container, Resource = "c", Identifier = Inlet.Tokens.Storage.UploadTokenStorage.PolicyId });

        var store = app.Host.Services.GetRequiredService<Marten.IDocumentStore>();
        await using (var session = store.LightweightSession())
        {
            session.Events.StartStream<Inlet.Tokens.UploadToken>(tid, new Inlet.Tokens.IssueUploadToken.UploadTokenIssued(
                tid, ws, "issued before the landing account", "alice", from, from, to, Inlet.Tokens.Contracts.UploadDestination.Inbox, container));
            await session.SaveChangesAsync();
        }
        await app.Host.InvokeMessageAndWaitAsync(new Inlet.Tokens.Contracts.UploadTokenActivated(tid, ws, container, Inlet.Tokens.Contracts.UploadDestination.Inbox, from, to));
        return (tid, sas);
    }

    [Fact]
    public async Task A_live_token_whose_container_is_in_the_workspace_account_routes_its_uploads_refuses_copies_and_is_revoked_and_swept_there()
    {
        var ws = InletApp.NewWorkspace("legacy");
        var alice = await app.SignedIn("alice", ws);
        var (tid, sas) = await IssueTheOldWay(ws);
        Assert.Equal(new Uri(TestServices.Storage.Split(';').Single(p => p.StartsWith("BlobEndpoint=")).Split('=', 2)[1]).AbsolutePath.Trim('/'),
            sas.AbsolutePath.Trim('/').Split('/')[0]); // the workspace account

        await new BlobContainerClient(sas).GetBlobClient("site-a/visits.txt").UploadAsync(BinaryData.FromString("uploaded with an old token"));
        await TokenApi.Eventually(async () => (await alice.GetJson($"/api/workspaces/{ws}/inbox")).EnumerateArray().Any(f => f.Str("path") == "inbox/site-a/visits.txt"),
            30, "the old token's upload is routed into the Inbox");
        Assert.Equal("uploaded with an old token", await (await alice.GetAsync($"/api/workspaces/{ws}/files/content?path=inbox/site-a/visits.txt")).Content.ReadAsStringAsync());
        await using (var query = app.Host.Services.GetRequiredService<Marten.IDocumentStore>().QuerySession())
            Assert.Null((await query.LoadAsync<Inlet.Ingestion.TokenContainers.TokenContainer>(tid))!.Account);

        // In one account Azurite lets a container SAS copy from another container: the layout cannot help this token,
        // so the copy check must. Copy Blob from another workspace's routed file:
        var source = await Victims.RoutedFileOfAnotherWorkspace(app);
        var outcome = await StorageAttacks.Run(alice, ws, sas, source, StorageAttacks.Kind.CopyBlob, Victims.Secret);
        Assert.True(outcome.Answer.Accepted, $"Azurite made the copy inside one account ({outcome.Answer}); this test is about what Inlet then does");
        StorageAttacks.AssertRefusedOrRejected(outcome);

        // Revoking withdraws the policy where the container is; the final sweep deletes it there.
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"/api/workspaces/{ws}/upload-tokens/{tid}")).StatusCode);
        Assert.Equal(403, await StorageProbe.TryUpload(sas, "after-revocation.txt"));
        await TokenApi.Eventually(async () => !(await new BlobServiceClient(TestServices.Storage).GetBlobContainerClient(sas.AbsolutePath.Trim('/').Split('/')[1]).ExistsAsync()).Value,
            60, "the old token's container is swept from the workspace account");
    }
}

using System.Text.Json.Serialization;
using System.Security.Claims;
using Inlet.BuildingBlocks.Audit;
using Inlet.BuildingBlocks.Auth;
using Inlet.BuildingBlocks.Http;
using Inlet.Ingestion.DatabaseRouting;
using Inlet.Ingestion.ReviewInbox;
using Inlet.Ingestion.Routing;
using Marten;
using Microsoft.AspNetCore.Http;
using Wolverine.Http;

namespace Inlet.Ingestion.WorkspaceFiles;

public sealed record WorkspaceFileResponse(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("md5")] string? Md5,
    [property: JsonPropertyName("received_at")] DateTimeOffset ReceivedAt,
    [property: JsonPropertyName("tid")] Guid Tid,
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("state")] InboxFileState State,
    [property: JsonPropertyName("approvals")] IReadOnlyList<ReviewApproval>? Approvals = null,
    [property: JsonPropertyName("approvals_required")] int? ApprovalsRequired = null);

public sealed record UploadResponse(
    [property: JsonPropertyName("tid")] Guid Tid,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("routed_to")] string RoutedTo,
    [property: JsonPropertyName("location")] string Location,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("at")] DateTimeOffset At,
    [property: JsonPropertyName("purged_at")] DateTimeOffset? PurgedAt = null,
    [property: JsonPropertyName("rows_loaded")] long? RowsLoaded = null,
    [property: JsonPropertyName("rows_rejected")] long? RowsRejected = null,
    [property: JsonPropertyName("note")] string? Note = null,
    [property: JsonPropertyName("progress")] UploadProgressResponse? Progress = null,
    [property: JsonPropertyName("review")] string? Review = null,
    [property: JsonPropertyName("approvals")] IReadOnlyList<ReviewApproval>? Approvals = null,
    [property: JsonPropertyName("approvals_required")] int? ApprovalsRequired = null,
    [property: JsonPropertyName("scan")] string? Scan = null,
    [property: JsonPropertyName("scan_signature")] string? ScanSignature = null);

/// <summary>While the database loads a pending upload: how far it has come (reported every few seconds).</summary>
public sealed record UploadProgressResponse(
    [property: JsonPropertyName("phase")] string Phase,
    [property: JsonPropertyName("bytes_done")] long BytesDone,
    [property: JsonPropertyName("bytes_total")] long BytesTotal,
    [property: JsonPropertyName("rows_loaded")] long RowsLoaded,
    [property: JsonPropertyName("at")] DateTimeOffset At);

public static class FileEndpoints
{
    private const int MaxPathLength = RoutingRules.MaxPathLength + 300;

    [WolverineGet("/api/workspaces/{wsid}/inbox")]
    public static Task<IReadOnlyList<WorkspaceFileResponse>> Inbox(string wsid, IQuerySession session, CancellationToken ct) =>
        Files(session, wsid, RoutingRules.InboxFolder + "/", ct);

    [WolverineGet("/api/workspaces/{wsid}/files")]
    public static async Task<IResult> Folder(string wsid, string? folder, IQuerySession session, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(folder))
            return Results.Json(await Files(session, wsid, "", ct));
        if (WorkspacePath.Problem(folder, MaxPathLength) is { } why)
            return Results.Problem(Problems.Validation("folder", why));
        return Results.Json(await Files(session, wsid, WorkspacePath.Normalise(folder) + "/", ct));
    }

    [WolverineGet("/api/workspaces/{wsid}/files/content")]
    public static async Task<IResult> Content(string wsid, string? path, IQuerySession session, WorkspaceStorage storage,
        ClaimsPrincipal user, AccessAudit access, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(path))
            return Results.Problem(Problems.Validation("path", "Give the file's path, e.g. ?path=inbox/site-a/data.csv."));
        if (WorkspacePath.Problem(path, MaxPathLength) is { } why)
            return Results.Problem(Problems.Validation("path", why));
        path = WorkspacePath.Normalise(path); // files are kept under their NFC path: either spelling finds them
        var file = await session.Query<UploadRecord>()
            .FirstOrDefaultAsync(r => r.Wsid == wsid && r.FilePath == path, ct);
        if (file is { Review: ReviewState.Pending })
            return Results.Problem(Problems.Create(StatusCodes.Status409Conflict, "Awaiting approval",
                "This file waits in the Inbox for a workspace member to approve it; it can be downloaded once approved."));
        var stream = file is null ? null : await storage.OpenRead(wsid, file.FilePath!, ct);
        if (stream is null)
            return Results.Problem(Problems.NotFound("file at that path"));
        await access.Record(wsid, AccessAudit.FileDownloaded, user.UserName(), new Dictionary<string, string?>
        {
            ["path"] = file!.FilePath, ["upload"] = file.Id.ToString(), ["tid"] = file.Tid.ToString(),
        }, ct);
        return Results.Stream(stream, "application/octet-stream", System.IO.Path.GetFileName(file!.FilePath), enableRangeProcessing: true);
    }

    [WolverineGet("/api/workspaces/{wsid}/uploads")]
    public static async Task<IReadOnlyList<UploadResponse>> Uploads(string wsid, IQuerySession session, CancellationToken ct)
    {
        var records = await session.Query<UploadRecord>().Where(r => r.Wsid == wsid).OrderBy(r => r.ReceivedAt).ToListAsync(ct);
        var pending = records.Where(r => r.Status == UploadStatus.Pending && r.StagedAt != null).Select(r => r.Id).ToList();
        var progress = pending.Count == 0
            ? new Dictionary<Guid, UploadProgress>()
            : (await session.LoadManyAsync<UploadProgress>(ct, pending)).ToDictionary(p => p.Id);
        var settings = records.Any(r => r.Review is not null) ? await session.LoadAsync<WorkspaceSettings>(wsid, ct) : null;
        return records.Select(r => new UploadResponse(r.Tid, r.BlobName(), r.Size, r.RoutedTo, r.Location, r.Status, r.Error, r.At, r.PurgedAt, r.RowsLoaded, r.RowsRejected, r.Note,
            r.Status == UploadStatus.Pending && progress.TryGetValue(r.Id, out var p) ? new UploadProgressResponse(p.Phase, p.BytesDone, p.BytesTotal, p.RowsLoaded, p.At) : null,
            r.Review, r.Review is null ? null : r.Approvals, InboxReviewDecisions.RequiredForListing(settings, r),
            r.Scan, r.ScanSignature)).ToList();
    }

    private static async Task<IReadOnlyList<WorkspaceFileResponse>> Files(IQuerySession session, string wsid, string prefix, CancellationToken ct)
    {
        var records = await session.Query<UploadRecord>()
            .Where(r => r.Wsid == wsid && r.FilePath != null && r.FilePath.StartsWith(prefix))
            .OrderBy(r => r.FilePath)
            .ToListAsync(ct);
        var settings = records.Any(r => r.Review is not null) ? await session.LoadAsync<WorkspaceSettings>(wsid, ct) : null;
        return records.Select(r => new WorkspaceFileResponse(r.FilePath!, r.Size, r.Md5, r.ReceivedAt, r.Tid, r.Id,
            r.Review == ReviewState.Pending ? InboxFileState.Pending : InboxFileState.Available,
            r.Review is null ? null : r.Approvals, InboxReviewDecisions.RequiredForListing(settings, r))).ToList();
    }
}

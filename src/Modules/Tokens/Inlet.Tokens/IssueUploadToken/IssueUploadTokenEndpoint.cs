using System.Diagnostics;
using System.Security.Claims;
using System.Text.Json.Serialization;
using Inlet.BuildingBlocks.Auth;
using Inlet.BuildingBlocks.Telemetry;
using Inlet.Tokens.Contracts;
using Inlet.Tokens.ExpireUploadToken;
using Inlet.Tokens.ListUploadTokens;
using Inlet.Tokens.Storage;
using Marten;
using Microsoft.AspNetCore.Http;
using Wolverine;
using Wolverine.Http;

namespace Inlet.Tokens.IssueUploadToken;

/// <summary>The one and only time the SAS is shown.</summary>
public sealed record IssuedUploadTokenResponse(
    [property: JsonPropertyName("inboxid")] string InboxId,
    [property: JsonPropertyName("wsid")] string Wsid,
    [property: JsonPropertyName("tid")] Guid Tid,
    [property: JsonPropertyName("date")] DateTimeOffset Date,
    [property: JsonPropertyName("valid_from")] DateTimeOffset ValidFrom,
    [property: JsonPropertyName("valid_to")] DateTimeOffset ValidTo,
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("destination")] UploadDestination Destination,
    [property: JsonPropertyName("azcopy")] string AzCopy);

public static class IssueUploadTokenEndpoint
{
    [WolverinePost("/api/workspaces/{wsid}/upload-tokens")]
    public static async Task<IResult> Post(
        string wsid,
        IssueUploadTokenRequest request,
        ClaimsPrincipal user,
        IDocumentSession session,
        UploadTokenStorage storage,
        TimeProvider clock,
        IMessageBus bus,
        InletMetrics metrics,
        CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var (valid, problem) = IssueUploadTokenRules.Validate(request, now);
        if (problem is not null)
            return Results.Problem(problem);

        var tid = Guid.CreateVersion7(now);
        var container = UploadTokenStorage.ContainerFor(tid);
        // Storage first: should the Host die before the event commits, what is left is an unreachable
        // container whose SAS nobody ever saw, never a token on record that cannot work.
        var sas = await storage.Provision(container, valid!.ValidFrom, valid.ValidTo, ct);

        var issued = new UploadTokenIssued(tid, wsid, valid.Reason, user.UserName(), now, valid.ValidFrom, valid.ValidTo, valid.Destination, container);
        session.Events.StartStream<UploadTokenSummary>(tid, issued);
        await bus.ScheduleAsync(new ExpireUploadToken.ExpireUploadToken(tid), valid.ValidTo);
        await bus.PublishAsync(new UploadTokenActivated(tid, wsid, container, valid.Destination, valid.ValidFrom, valid.ValidTo));

        metrics.TokensIssued.Add(1, new KeyValuePair<string, object?>(InletTelemetry.Destination, valid.Destination.Kind.ToString().ToLowerInvariant()));
        Activity.Current?.SetTag(InletTelemetry.TokenId, tid); // the request's span: which token this request issued
        var token = sas.ToString();
        return Results.Json(
            new IssuedUploadTokenResponse(container, wsid, tid, now, valid.ValidFrom, valid.ValidTo, token, valid.Destination, AzCopyCommand(sas)),
            statusCode: StatusCodes.Status201Created);
    }

    public static string AzCopyCommand(Uri sas)
    {
        var command = $"azcopy copy \"<local path>\" \"{sas}\" --recursive=true --put-md5";
        // AzCopy recognises Azure by its host name; an emulator endpoint needs the direction spelled out.
        return sas.Host.EndsWith(".blob.core.windows.net", StringComparison.OrdinalIgnoreCase) ? command : command + " --from-to=LocalBlob";
    }
}

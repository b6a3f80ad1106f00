using Inlet.BuildingBlocks.Text;
using System.Diagnostics;
using System.Security.Claims;
using System.Text.Json.Serialization;
using Inlet.BuildingBlocks.Auth;
using Inlet.BuildingBlocks.Telemetry;
using Inlet.Tokens.Contracts;
using Inlet.Tokens.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

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
    [property: JsonPropertyName("azcopy")] string AzCopy,
    [property: JsonPropertyName("max_bytes")] long? MaxBytes = null,
    [property: JsonPropertyName("max_files")] int? MaxFiles = null,
    [property: JsonPropertyName("allowed_patterns")] IReadOnlyList<string>? AllowedPatterns = null);

/// <summary>The request checked and, if valid, its container provisioned: what the decision to issue needs.</summary>
/// <param name="Account">The storage account the container was provisioned in (the landing account, docs/adr/0030).</param>
public sealed record IssueAttempt(ProblemDetails? Problem, ValidatedTokenRequest? Valid, Guid Tid, Uri? Sas, DateTimeOffset Now, string Account = "");

/// <summary>
/// An A-frame: <see cref="LoadAsync"/> validates and provisions the token's container (storage first: should the
/// Host die before the event commits, what is left is an unreachable container whose SAS nobody ever saw, never a
/// token on record that cannot work), <see cref="Post"/> decides, and Wolverine starts the stream, schedules the
/// expiry and publishes the activation in one transaction (the Marten outbox).
/// </summary>
public static class IssueUploadTokenEndpoint
{
    public static async Task<IssueAttempt> LoadAsync(IssueUploadTokenRequest request, UploadTokenStorage storage, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var (valid, problem) = IssueUploadTokenRules.Validate(request, now);
        if (valid is null)
            return new IssueAttempt(problem, null, Guid.Empty, null, now);
        var tid = Guid.CreateVersion7(now);
        var sas = await storage.Provision(UploadTokenStorage.ContainerFor(tid), valid.ValidFrom, valid.ValidTo, ct);
        return new IssueAttempt(null, valid, tid, sas, now, storage.LandingAccount);
    }

    public static IResult Validate(IssueAttempt attempt) =>
        attempt.Problem is { } problem ? Results.Problem(problem) : WolverineContinue.Result();

    [WolverinePost("/api/workspaces/{wsid}/upload-tokens")]
    public static (IResult, IStartStream, OutgoingMessages) Post(string wsid, IssueUploadTokenRequest request, IssueAttempt attempt, ClaimsPrincipal user, InletMetrics metrics)
    {
        // The request was read and checked in LoadAsync; it is named here so that Wolverine binds the body.
        _ = request;
        var valid = attempt.Valid!;
        var issued = UploadTokenDecisions.Issue(attempt.Tid, wsid, user.UserName(), valid, attempt.Now, attempt.Account);
        var messages = new OutgoingMessages { issued.Activated, issued.Expiry.ScheduledAt(valid.ValidTo) };
        if (WarnExpiringToken.ExpiryWarning.At(valid.ValidFrom, valid.ValidTo, attempt.Now) is { } warnAt)
            messages.Add(new WarnExpiringToken.WarnUploadTokenExpiring(attempt.Tid).ScheduledAt(warnAt));

        metrics.TokensIssued.Add(1, new KeyValuePair<string, object?>(InletTelemetry.Destination, EnumText.Name(valid.Destination.Kind)));
        Activity.Current?.SetTag(InletTelemetry.TokenId, attempt.Tid); // the request's span: which token this request issued
        var e = issued.Issued;
        var response = Results.Json(
            new IssuedUploadTokenResponse(e.Container, wsid, e.Tid, e.IssuedAt, e.ValidFrom, e.ValidTo, attempt.Sas!.ToString(), e.Destination, AzCopyCommand(attempt.Sas),
                e.Quota?.MaxBytes, e.Quota?.MaxFiles, e.Quota?.AllowedPatterns ?? []),
            statusCode: StatusCodes.Status201Created);
        return (response, MartenOps.StartStream<UploadToken>(e.Tid, e), messages);
    }

    public static string AzCopyCommand(Uri sas)
    {
        var command = $"azcopy copy \"<local path>\" \"{sas}\" --recursive=true --put-md5";
        // AzCopy recognises Azure by its host name; an emulator endpoint needs the direction spelled out.
        return sas.Host.EndsWith(".blob.core.windows.net", StringComparison.OrdinalIgnoreCase) ? command : command + " --from-to=LocalBlob";
    }
}

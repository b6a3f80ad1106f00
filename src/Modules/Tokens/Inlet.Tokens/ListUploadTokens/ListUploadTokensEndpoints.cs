using Inlet.BuildingBlocks.Http;
using Marten;
using Microsoft.AspNetCore.Http;
using Wolverine.Http;

namespace Inlet.Tokens.ListUploadTokens;

public static class ListUploadTokensEndpoints
{
    [WolverineGet("/api/workspaces/{wsid}/upload-tokens")]
    public static async Task<IReadOnlyList<UploadTokenSummaryResponse>> List(string wsid, IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var tokens = await session.Query<UploadTokenSummary>()
            .Where(t => t.Wsid == wsid)
            .OrderByDescending(t => t.Date)
            .ToListAsync(ct);
        return tokens.Select(t => UploadTokenSummaryResponse.From(t, now)).ToList();
    }

    [WolverineGet("/api/workspaces/{wsid}/upload-tokens/{tid}")]
    public static async Task<IResult> Get(string wsid, string tid, IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        var token = await TokenLookup.Find(session, wsid, tid, ct);
        return token is null
            ? Results.Problem(Problems.NotFound("upload token"))
            : Results.Json(UploadTokenSummaryResponse.From(token, clock.GetUtcNow()));
    }
}

public static class TokenLookup
{
    /// <summary>The token <paramref name="tid"/> of workspace <paramref name="wsid"/>; a token of another workspace is not found.</summary>
    public static async Task<UploadTokenSummary?> Find(IQuerySession session, string wsid, string tid, CancellationToken ct)
    {
        if (!Guid.TryParse(tid, out var id))
            return null;
        var token = await session.LoadAsync<UploadTokenSummary>(id, ct);
        return token is not null && token.Wsid == wsid ? token : null;
    }
}

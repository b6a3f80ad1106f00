using Inlet.BuildingBlocks.Http;
using Marten;
using Marten.Linq.MatchesSql;
using Microsoft.AspNetCore.Http;
using Wolverine.Http;

namespace Inlet.Tokens.ListUploadTokens;

public static class ListUploadTokensEndpoints
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 1000;
    private static readonly string[] Parameters = ["status", "q", "after", "limit"];

    /// <summary>
    /// Newest first. Without parameters the v1 answer (every token, one array); with any of
    /// <c>status</c>, <c>q</c>, <c>after</c>, <c>limit</c> one page <c>{ "tokens": [...], "next": tid | null }</c>
    /// (docs/adr/0018).
    /// </summary>
    [WolverineGet("/api/workspaces/{wsid}/upload-tokens")]
    public static async Task<IResult> List(string wsid, HttpContext context, IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var query = context.Request.Query;
        if (query.Count == 0)
        {
            var all = await session.Query<UploadTokenSummary>()
                .Where(t => t.Wsid == wsid)
                .OrderByDescending(t => t.Date).ThenByDescending(t => t.Id)
                .ToListAsync(ct);
            return Results.Json(all.Select(t => UploadTokenSummaryResponse.From(t, now)).ToList());
        }
        var (page, problem) = TokenPage.Parse(query, Parameters);
        if (page is null)
            return Results.Problem(problem!);

        var tokens = session.Query<UploadTokenSummary>().Where(t => t.Wsid == wsid);
        tokens = page.Status switch
        {
            // The same order as UploadToken.StatusAt: revoked, exhausted, expired, active.
            TokenStatus.Revoked => tokens.Where(t => t.RevokedAt != null),
            TokenStatus.Exhausted => tokens.Where(t => t.RevokedAt == null && t.ExhaustedAt != null),
            TokenStatus.Expired => tokens.Where(t => t.RevokedAt == null && t.ExhaustedAt == null && (t.ExpiredAt != null || t.ValidTo <= now)),
            TokenStatus.Active => tokens.Where(t => t.RevokedAt == null && t.ExhaustedAt == null && t.ExpiredAt == null && t.ValidTo > now),
            _ => tokens,
        };
        if (page.Q is { } q)
            tokens = Guid.TryParse(q, out var tid)
                ? tokens.Where(t => t.Id == tid)
                : tokens.Where(t => t.Reason.Contains(q, StringComparison.OrdinalIgnoreCase) || t.CreatedBy.Contains(q, StringComparison.OrdinalIgnoreCase));
        if (page.After is { } after)
        {
            // Keyset cursor on (date, id), the listing's order: stable however many tokens are issued meanwhile.
            var last = await TokenLookup.Find(session, wsid, after.ToString(), ct);
            if (last is null)
                return Results.Problem(Problems.Validation("after", "'after' is the 'tid' of the last token seen (the previous answer's 'next'), a token of this workspace."));
            tokens = tokens.Where(t => t.MatchesSql(
                "(d.date, d.id) < (?, ?)", // a row comparison, so PostgreSQL walks the (wsid, date, id) index
                last.Date, last.Id));
        }
        var found = await tokens.OrderByDescending(t => t.Date).ThenByDescending(t => t.Id).Take(page.Limit + 1).ToListAsync(ct);
        var more = found.Count > page.Limit;
        var shown = found.Take(page.Limit).Select(t => UploadTokenSummaryResponse.From(t, now)).ToList();
        return Results.Json(new TokenListPage(shown, more ? shown[^1].Tid : null));
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

public sealed record TokenListPage(
    [property: System.Text.Json.Serialization.JsonPropertyName("tokens")] IReadOnlyList<UploadTokenSummaryResponse> Tokens,
    [property: System.Text.Json.Serialization.JsonPropertyName("next")] Guid? Next);

/// <summary>The token listing's page parameters; a bad one is a problem naming it.</summary>
public sealed record TokenPage(TokenStatus? Status, string? Q, Guid? After, int Limit)
{
    public static (TokenPage? Page, Microsoft.AspNetCore.Mvc.ProblemDetails? Problem) Parse(IQueryCollection query, string[] parameters)
    {
        foreach (var key in query.Keys)
            if (!parameters.Contains(key))
                return (null, Problems.Validation(key, $"'{key}' is not a parameter here; use {string.Join(", ", parameters)}."));
        string? Text(string key) => query.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v.ToString()) ? v.ToString().Trim() : null;
        var statusText = Text("status");
        // Only the three lower-case names of the wire format, not whatever Enum.TryParse would accept ("1", "Active").
        TokenStatus? status = statusText switch
        {
            "active" => TokenStatus.Active,
            "revoked" => TokenStatus.Revoked,
            "expired" => TokenStatus.Expired,
            "exhausted" => TokenStatus.Exhausted,
            _ => null,
        };
        if (statusText is not null && status is null)
            return (null, Problems.Validation("status", "'status' is 'active', 'revoked', 'expired' or 'exhausted'."));
        var q = Text("q");
        if (q is { Length: > 200 })
            return (null, Problems.Validation("q", "'q' searches reason, creator or token id; at most 200 characters."));
        Guid? after = null;
        if (Text("after") is { } a)
        {
            if (!Guid.TryParse(a, out var value))
                return (null, Problems.Validation("after", "'after' is the 'tid' of the last token seen (the previous answer's 'next')."));
            after = value;
        }
        var limit = ListUploadTokensEndpoints.DefaultPageSize;
        if (Text("limit") is { } l && (!int.TryParse(l, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit)
                || limit is < 1 or > ListUploadTokensEndpoints.MaxPageSize))
            return (null, Problems.Validation("limit", $"'limit' must be a whole number from 1 to {ListUploadTokensEndpoints.MaxPageSize} (default {ListUploadTokensEndpoints.DefaultPageSize})."));
        return (new TokenPage(status, q, after, limit), null);
    }
}

using System.Security.Claims;
using System.Text.Json.Serialization;
using Inlet.BuildingBlocks.Auth;
using Inlet.BuildingBlocks.Http;
using Inlet.Tabular.Database;
using Marten;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Npgsql;
using Wolverine.Http;

namespace Inlet.Tabular.DatabaseCredentials;

/// <summary>The one and only time the password is shown.</summary>
public sealed record IssuedDatabaseCredentialsResponse(
    [property: JsonPropertyName("wsid")] string Wsid,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("port")] int Port,
    [property: JsonPropertyName("database")] string Database,
    [property: JsonPropertyName("schema")] string Schema,
    [property: JsonPropertyName("sslmode")] string? SslMode,
    [property: JsonPropertyName("user")] string User,
    [property: JsonPropertyName("password")] string Password,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("rotated")] bool Rotated,
    [property: JsonPropertyName("issued_at")] DateTimeOffset IssuedAt,
    [property: JsonPropertyName("connection_limit")] int ConnectionLimit,
    [property: JsonPropertyName("statement_timeout_seconds")] double StatementTimeoutSeconds);

/// <summary>Whether the workspace has a login, and where it connects: everything but the password.</summary>
public sealed record DatabaseCredentialsResponse(
    [property: JsonPropertyName("wsid")] string Wsid,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("port")] int Port,
    [property: JsonPropertyName("database")] string Database,
    [property: JsonPropertyName("schema")] string Schema,
    [property: JsonPropertyName("sslmode")] string? SslMode,
    [property: JsonPropertyName("user")] string User,
    [property: JsonPropertyName("issued_at")] DateTimeOffset IssuedAt,
    [property: JsonPropertyName("issued_by")] string IssuedBy,
    [property: JsonPropertyName("rotated_at")] DateTimeOffset? RotatedAt,
    [property: JsonPropertyName("rotated_by")] string? RotatedBy,
    [property: JsonPropertyName("connection_limit")] int ConnectionLimit,
    [property: JsonPropertyName("statement_timeout_seconds")] double StatementTimeoutSeconds);

public static class DatabaseCredentialsEndpoints
{
    public const string Route = "/api/workspaces/{wsid}/database/credentials";

    [WolverinePost(Route)]
    public static async Task<IResult> Post(string wsid, ClaimsPrincipal principal, IDocumentSession session, WorkspaceRoles roles, WorkspaceDatabase database,
        IOptions<DatabaseCredentialsOptions> options, TimeProvider clock, CancellationToken ct)
    {
        if (InvalidWorkspace(wsid) is { } invalid)
            return invalid;
        var user = roles.RoleFor(wsid);
        await using (await roles.Lock(wsid, ct))
        {
            var stream = await session.Events.FetchForWriting<WorkspaceDatabaseLogin>(WorkspaceDatabaseLogin.IdFor(wsid), ct);
            var rotates = DatabaseCredentialsDecisions.Rotates(stream.Aggregate);
            var password = ScramVerifier.NewPassword();
            // PostgreSQL first: should the Host die before the event commits, what is left is a password nobody saw.
            int ended;
            try
            {
                // Not cancelled half-way by a client that gives up: once PostgreSQL changed, the event must follow.
                ended = await roles.Provision(wsid, ScramVerifier.For(password), CancellationToken.None);
            }
            catch (Exception e) when (e is WorkspaceDatabaseNotPermittedException or PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege })
            {
                return NotPermitted();
            }
            var now = clock.GetUtcNow();
            stream.AppendOne(DatabaseCredentialsDecisions.Issue(stream.Aggregate, wsid, user, principal.UserName(), ended, now));
            // Saved while the lock is held, so that the order of events is the order of passwords.
            await session.SaveChangesAsync(CancellationToken.None);

            var where = Where(database, options.Value, wsid);
            var o = options.Value;
            return Results.Json(new IssuedDatabaseCredentialsResponse(wsid, where.Host, where.Port, where.Database, WorkspaceDatabase.SchemaFor(wsid), SslMode(o), user, password,
                Url(where, user, password, o.WorkspaceSslMode), rotates, now, o.WorkspaceConnectionLimit, o.WorkspaceStatementTimeout.TotalSeconds),
                statusCode: StatusCodes.Status201Created);
        }
    }

    [WolverineGet(Route)]
    public static async Task<IResult> Get(string wsid, IQuerySession session, WorkspaceDatabase database, IOptions<DatabaseCredentialsOptions> options, CancellationToken ct)
    {
        if (InvalidWorkspace(wsid) is { } invalid)
            return invalid;
        var login = await session.LoadAsync<WorkspaceDatabaseLogin>(WorkspaceDatabaseLogin.IdFor(wsid), ct);
        if (login is not { Active: true })
            return Results.Problem(Problems.Create(StatusCodes.Status404NotFound, "No database login",
                "This workspace has no database login. POST to this address to create one."));
        var where = Where(database, options.Value, wsid);
        var o = options.Value;
        return Results.Json(new DatabaseCredentialsResponse(wsid, where.Host, where.Port, where.Database, WorkspaceDatabase.SchemaFor(wsid), SslMode(o), login.User,
            login.IssuedAt, login.IssuedBy, login.RotatedAt, login.RotatedBy, o.WorkspaceConnectionLimit, o.WorkspaceStatementTimeout.TotalSeconds));
    }

    /// <summary>Idempotent: the role is made sure to be gone even when the login was revoked on record already (a retry after a crash).</summary>
    [WolverineDelete(Route)]
    public static async Task<IResult> Delete(string wsid, ClaimsPrincipal principal, IDocumentSession session, WorkspaceRoles roles, TimeProvider clock, CancellationToken ct)
    {
        if (InvalidWorkspace(wsid) is { } invalid)
            return invalid;
        await using (await roles.Lock(wsid, ct))
        {
            var stream = await session.Events.FetchForWriting<WorkspaceDatabaseLogin>(WorkspaceDatabaseLogin.IdFor(wsid), ct);
            int ended;
            try
            {
                ended = await roles.Drop(wsid, CancellationToken.None);
            }
            catch (Exception e) when (e is WorkspaceDatabaseNotPermittedException or PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege })
            {
                return NotPermitted();
            }
            if (DatabaseCredentialsDecisions.Revoke(stream.Aggregate, principal.UserName(), ended, clock.GetUtcNow()) is { } revoked)
            {
                stream.AppendOne(revoked);
                await session.SaveChangesAsync(CancellationToken.None);
            }
            return Results.NoContent();
        }
    }

    /// <summary>An operator's set-up, not the member's request, is at fault; the detail says what to fix.</summary>
    private static IResult NotPermitted() => Results.Problem(Problems.Create(StatusCodes.Status503ServiceUnavailable, "Database logins are not set up",
        "Inlet's own PostgreSQL role may not manage workspace databases and their logins. An operator must grant it CREATEDB, CREATEROLE and pg_signal_backend (docs/operations.md, \"Workspace database logins\")."));

    /// <summary>A role name is made from the workspace id, so only a well-formed one may become one.</summary>
    private static IResult? InvalidWorkspace(string wsid) => WorkspaceId.IsValid(wsid)
        ? null
        : Results.Problem(Problems.Validation("wsid", "A workspace id is 3–40 characters of a-z, 0-9 and '-'."));

    private static string? SslMode(DatabaseCredentialsOptions o) => o.WorkspaceSslMode is { Length: > 0 } mode ? mode : null;

    public sealed record Location(string Host, int Port, string Database);

    /// <summary>
    /// Where users connect: <c>Database:WorkspaceHost</c>/<c>WorkspacePort</c>, else the workspace database server's own
    /// address; the database is the workspace's own (docs/adr/0031).
    /// </summary>
    public static Location Where(WorkspaceDatabase database, DatabaseCredentialsOptions options, string wsid)
    {
        var own = new NpgsqlConnectionStringBuilder(database.DataSource.ConnectionString);
        var host = options.WorkspaceHost is { Length: > 0 } configured ? configured : (own.Host ?? "localhost").Split(',')[0];
        return new Location(host, options.WorkspacePort > 0 ? options.WorkspacePort : own.Port, database.NameFor(wsid));
    }

    public static string Url(Location where, string user, string password, string sslMode)
    {
        var host = where.Host.Contains(':', StringComparison.Ordinal) ? $"[{where.Host}]" : where.Host; // an IPv6 address
        var url = $"postgresql://{Uri.EscapeDataString(user)}:{Uri.EscapeDataString(password)}@{host}:{where.Port}/{Uri.EscapeDataString(where.Database)}";
        return sslMode is { Length: > 0 } ? url + "?sslmode=" + Uri.EscapeDataString(sslMode) : url;
    }
}

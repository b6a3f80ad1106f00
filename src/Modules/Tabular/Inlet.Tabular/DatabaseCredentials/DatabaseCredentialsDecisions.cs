namespace Inlet.Tabular.DatabaseCredentials;

/// <summary>What a request does to a workspace's login, decided from its history alone (no I/O).</summary>
public static class DatabaseCredentialsDecisions
{
    /// <summary>POST: a workspace without an active login gets one; one with a login gets a new password.</summary>
    public static object Issue(WorkspaceDatabaseLogin? current, string wsid, string user, string by, int sessionsEnded, DateTimeOffset now)
    {
        var id = WorkspaceDatabaseLogin.IdFor(wsid);
        return current is { Active: true }
            ? new DatabaseCredentialsRotated(id, wsid, user, by, sessionsEnded, now)
            : new DatabaseCredentialsIssued(id, wsid, user, by, now);
    }

    public static bool Rotates(WorkspaceDatabaseLogin? current) => current is { Active: true };

    /// <summary>DELETE: only an active login is revoked on record; revoking again changes nothing (but the role is still made sure to be gone).</summary>
    public static DatabaseCredentialsRevoked? Revoke(WorkspaceDatabaseLogin? current, string by, int sessionsEnded, DateTimeOffset now) =>
        current is { Active: true } ? new DatabaseCredentialsRevoked(current.Id, current.Wsid, current.User, by, sessionsEnded, now) : null;
}

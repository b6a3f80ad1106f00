using System.Security.Cryptography;
using System.Text;
using Marten.Events.Aggregation;

namespace Inlet.Tabular.DatabaseCredentials;

/// <summary>A workspace's database login as it stands: whether there is one, and since when. Never its password.</summary>
public sealed class WorkspaceDatabaseLogin
{
    public Guid Id { get; set; }
    public string Wsid { get; set; } = "";
    public string User { get; set; } = "";
    public bool Active { get; set; }
    public DateTimeOffset IssuedAt { get; set; }
    public string IssuedBy { get; set; } = "";
    public DateTimeOffset? RotatedAt { get; set; }
    public string? RotatedBy { get; set; }

    /// <summary>One stream per workspace: its login's whole history, across revocations.</summary>
    public static Guid IdFor(string wsid) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"database-credentials\n{wsid}")).AsSpan(0, 16));
}

public sealed class WorkspaceDatabaseLoginProjection : SingleStreamProjection<WorkspaceDatabaseLogin, Guid>
{
    public static WorkspaceDatabaseLogin Create(DatabaseCredentialsIssued e) => Apply(e, new WorkspaceDatabaseLogin());

    public static WorkspaceDatabaseLogin Apply(DatabaseCredentialsIssued e, WorkspaceDatabaseLogin login)
    {
        login.Id = e.Id;
        login.Wsid = e.Wsid;
        login.User = e.User;
        login.Active = true;
        login.IssuedAt = e.At;
        login.IssuedBy = e.By;
        login.RotatedAt = null;
        login.RotatedBy = null;
        return login;
    }

    public static WorkspaceDatabaseLogin Apply(DatabaseCredentialsRotated e, WorkspaceDatabaseLogin login)
    {
        login.RotatedAt = e.At;
        login.RotatedBy = e.By;
        return login;
    }

    public static WorkspaceDatabaseLogin Apply(DatabaseCredentialsRevoked e, WorkspaceDatabaseLogin login)
    {
        login.Active = false;
        return login;
    }
}

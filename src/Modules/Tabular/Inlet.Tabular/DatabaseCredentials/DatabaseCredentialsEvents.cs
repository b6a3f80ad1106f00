namespace Inlet.Tabular.DatabaseCredentials;

// The password is never part of an event: it exists only in the one response that hands it out.

/// <summary>A member created the workspace's database login.</summary>
public sealed record DatabaseCredentialsIssued(Guid Id, string Wsid, string User, string By, DateTimeOffset At);

/// <summary>A member gave the login a new password; the old one stopped working and its sessions were ended.</summary>
public sealed record DatabaseCredentialsRotated(Guid Id, string Wsid, string User, string By, int SessionsEnded, DateTimeOffset At);

/// <summary>A member took the login away; its sessions were ended and the role dropped.</summary>
public sealed record DatabaseCredentialsRevoked(Guid Id, string Wsid, string User, string By, int SessionsEnded, DateTimeOffset At);

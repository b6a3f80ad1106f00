using System.Security.Claims;
using System.Text.Json;

namespace Inlet.BuildingBlocks.Auth;

/// <summary>Reads the platform's identity: <c>sub</c> is the user, <c>ws</c> the workspaces they belong to.</summary>
public static class WorkspaceClaims
{
    public const string Workspace = "ws";
    public const string Subject = "sub";

    public static string UserName(this ClaimsPrincipal principal) =>
        principal.FindFirst(Subject)?.Value
        ?? principal.FindFirst(ClaimTypes.NameIdentifier)?.Value
        ?? principal.Identity?.Name
        ?? "unknown";

    public static IReadOnlySet<string> Workspaces(this ClaimsPrincipal principal)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var claim in principal.FindAll(Workspace))
        {
            // Identity providers emit a repeated claim or one JSON array claim; accept both.
            var value = claim.Value.Trim();
            if (value.StartsWith('['))
            {
                try
                {
                    foreach (var item in JsonSerializer.Deserialize<string[]>(value) ?? [])
                        result.Add(item);
                }
                catch (JsonException)
                {
                    // A malformed array grants nothing.
                }
            }
            else if (value.Length > 0)
            {
                result.Add(value);
            }
        }
        return result;
    }

    public static bool IsMemberOf(this ClaimsPrincipal principal, string wsid) => principal.Workspaces().Contains(wsid);
}

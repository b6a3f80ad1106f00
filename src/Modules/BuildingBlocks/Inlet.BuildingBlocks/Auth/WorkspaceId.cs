using System.Text.RegularExpressions;

namespace Inlet.BuildingBlocks.Auth;

public static partial class WorkspaceId
{
    [GeneratedRegex("^[a-z0-9-]{3,40}$")]
    private static partial Regex Pattern();

    public static bool IsValid(string? wsid) => wsid is not null && Pattern().IsMatch(wsid);
}

namespace Inlet.BuildingBlocks.Http;

/// <summary>Relative paths inside a workspace area (<c>a/b/c</c>): never absolute, never escaping upwards.</summary>
public static class WorkspacePath
{
    public const int MaxSegmentLength = 255;

    /// <summary>Why <paramref name="path"/> is not an acceptable relative path, or null when it is.</summary>
    public static string? Problem(string path, int maxLength)
    {
        if (path.Length == 0)
            return "The path is empty; give a relative path such as 'site-a/2026' or leave it out.";
        if (path.Length > maxLength)
            return $"The path is {path.Length} characters long; at most {maxLength} are allowed.";
        if (path.StartsWith('/'))
            return "The path must be relative: remove the leading '/'.";
        if (path.Contains('\\'))
            return "Use '/' to separate folders; '\\' is not allowed.";
        if (path.Any(char.IsControl))
            return "The path contains control characters.";
        var segments = path.TrimEnd('/').Split('/');
        foreach (var segment in segments)
        {
            if (segment.Length == 0)
                return "The path has an empty folder name ('//').";
            if (segment is "." or "..")
                return "The path may not contain '.' or '..' segments.";
            if (segment.Length > MaxSegmentLength)
                return $"A folder name is longer than {MaxSegmentLength} characters.";
            if (segment.Trim().Length == 0)
                return "A folder name consists only of spaces.";
        }
        return null;
    }

    public static string Normalise(string path) => path.TrimEnd('/');
}

namespace Inlet.BuildingBlocks.Storage;

/// <summary>The uploader's Content-MD5 and what Inlet computed: one wording, wherever the check runs.</summary>
public static class ContentMd5
{
    /// <param name="file">The uploaded name, when the message is read away from the file's own record; null otherwise.</param>
    public static string Mismatch(string? file, string expected, string actual) =>
        $"{(file is null ? "The" : $"{file}: the")} file's content does not match the MD5 the uploader stored (expected {expected}, got {actual}); it was probably damaged in transit. Upload it again.";
}

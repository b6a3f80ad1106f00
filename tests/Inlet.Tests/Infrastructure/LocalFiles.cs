using System.Text;

namespace Inlet.Tests.Infrastructure;

/// <summary>A fresh local folder of files, as an uploader would have them before running AzCopy.</summary>
public static class LocalFiles
{
    /// <param name="files">Relative paths ('/'-separated, folders created) and their UTF-8 text (no BOM).</param>
    public static DirectoryInfo Folder(params (string Path, string Content)[] files) =>
        Folder(files.Select(f => (f.Path, new UTF8Encoding(false).GetBytes(f.Content))));

    /// <param name="files">Relative paths ('/'-separated, folders created) and their bytes as they are.</param>
    public static DirectoryInfo Folder(IEnumerable<(string Path, byte[] Bytes)> files)
    {
        var root = Directory.CreateTempSubdirectory("upload-");
        foreach (var (path, bytes) in files)
        {
            var full = Path.Combine(root.FullName, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, bytes);
        }
        return root;
    }
}

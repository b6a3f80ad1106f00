using System.Text;

namespace Inlet.Tests.Infrastructure;

/// <summary>A fresh local folder of files, as an uploader would have them before running AzCopy.</summary>
public static class LocalFiles
{
    /// <param name="files">Relative paths ('/'-separated, folders created) and their UTF-8 text (no BOM).</param>
    public static DirectoryInfo Folder(params (string Path, string Content)[] files)
    {
        var root = Directory.CreateTempSubdirectory("upload-");
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(root.FullName, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content, new UTF8Encoding(false));
        }
        return root;
    }
}
